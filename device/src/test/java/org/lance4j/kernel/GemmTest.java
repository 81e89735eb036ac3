package org.lance4j.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.lance4j.testutil.Assert;
import org.lance4j.testutil.Rnd;

/**
 * The three GEMM forms, vector against scalar reference, over sizes that are not multiples of the lane
 * count (and some that are), with and without accumulation, with offsets and padded leading dimensions.
 * Also checks that the forms agree with each other through explicit transposes.
 */
class GemmTest {
    /** Float sums of up to ~70 products of values in [−1, 1) reassociated: a few ulps of |C| ≤ 70. */
    static final double GEMM_ATOL = 2e-5;
    static final double GEMM_RTOL = 1e-5;
    static final int[] SIZES = {1, 2, 3, 4, 5, 7, 8, 9, 13, 16, 17, 31, 33, 67};

    enum Form { NN, NT, TN }

    @Test
    void vectorMatchesScalarReference() {
        Rnd r = new Rnd(1);
        int cases = 0;
        for (Form f : Form.values()) {
            for (int m : SIZES) {
                for (int n : SIZES) {
                    for (int k : new int[] {1, 3, 8, 17, 33, 70}) {
                        if ((m * 7 + n * 3 + k) % 3 == 0 && m > 8 && n > 8) continue; // thin the cube, keep every edge
                        for (boolean acc : new boolean[] {false, true}) {
                            check(f, m, n, k, acc, r);
                            cases++;
                        }
                    }
                }
            }
        }
        assertEquals(3 * 2 * 1078, cases, "number of GEMM cases checked");
    }

    private static void check(Form f, int m, int n, int k, boolean acc, Rnd r) {
        int pad = 3, off = 5;
        int lda, ldb;
        float[] a, b;
        switch (f) {
            case NN -> { lda = k + pad; ldb = n + pad; a = r.uniform(off + m * lda); b = r.uniform(off + k * ldb); }
            case NT -> { lda = k + pad; ldb = k + pad; a = r.uniform(off + m * lda); b = r.uniform(off + n * ldb); }
            default -> { lda = m + pad; ldb = n + pad; a = r.uniform(off + k * lda); b = r.uniform(off + k * ldb); }
        }
        int ldc = n + 2;
        float[] c0 = r.uniform(off + m * ldc);
        float[] cs = c0.clone(), cv = c0.clone();
        switch (f) {
            case NN -> {
                Gemm.nnScalar(m, n, k, a, off, lda, b, off, ldb, cs, off, ldc, acc);
                Gemm.abVector(m, n, k, a, off, lda, 1, b, off, ldb, cv, off, ldc, acc);
            }
            case NT -> {
                Gemm.ntScalar(m, n, k, a, off, lda, b, off, ldb, cs, off, ldc, acc);
                Gemm.ntVector(m, n, k, a, off, lda, b, off, ldb, cv, off, ldc, acc);
            }
            default -> {
                Gemm.tnScalar(m, n, k, a, off, lda, b, off, ldb, cs, off, ldc, acc);
                Gemm.abVector(m, n, k, a, off, 1, lda, b, off, ldb, cv, off, ldc, acc);
            }
        }
        // whole array: also proves nothing outside C (padding columns, offsets) was written
        Assert.close(f + " m=" + m + " n=" + n + " k=" + k + " acc=" + acc, cs, cv, GEMM_ATOL, GEMM_RTOL);
    }

    /**
     * abVector's eight-row blocks (one vector of columns; pairs of vectors, with the columns past them — a vector, a
     * float tail — as their own product) give the bits of its four-row loop, row slice by row slice.
     */
    @Test
    void abVectorEightRowsGiveTheBitsOfFour() {
        Rnd r = new Rnd(6);
        int l = Vec.LANES, cases = 0;
        for (int n : new int[] {l, l + 1, 2 * l - 1, 2 * l, 2 * l + 3, 3 * l, 5 * l - 1}) {
            for (int m : new int[] {8, 12, 19}) {
                for (int k : new int[] {1, 7, 40}) {
                    for (boolean tn : new boolean[] {false, true}) {
                        int ars = tn ? 1 : k + 1, acs = tn ? m + 2 : 1, ldb = n + 3, ldc = n + 1;
                        float[] a = r.uniform(tn ? k * acs : m * ars), b = r.uniform(k * ldb), c0 = r.uniform(m * ldc);
                        for (boolean acc : new boolean[] {false, true}) {
                            float[] whole = c0.clone(), sliced = c0.clone();
                            Gemm.abVector(m, n, k, a, 0, ars, acs, b, 0, ldb, whole, 0, ldc, acc);
                            for (int i = 0; i < m; i += 4) {
                                Gemm.abVector(Math.min(4, m - i), n, k, a, i * ars, ars, acs, b, 0, ldb, sliced, i * ldc, ldc, acc);
                            }
                            Assert.sameBits(sliced, whole, "m=" + m + " n=" + n + " k=" + k + " tn=" + tn + " acc=" + acc);
                            cases++;
                        }
                    }
                }
            }
        }
        assertEquals(7 * 3 * 3 * 2 * 2, cases);
    }

    /**
     * ntVector's blocks (4 × 4 at 512 bits, 2 × 4, and 2 × 2, 2 × 1 for the last columns) sum every element exactly as
     * {@link Gemm#dot} does, bit for bit: whichever block an element falls in, its value is the same.
     */
    @Test
    void ntVectorSumsEveryElementAsDot() {
        Rnd r = new Rnd(5);
        int l = Vec.LANES, cases = 0;
        for (int m = 1; m <= 9; m++) {
            for (int n = 1; n <= 11; n++) {
                for (int k : new int[] {l, 2 * l + 3, 70}) {
                    int lda = k + 1, ldb = k + 2, ldc = n + 1;
                    float[] a = r.uniform(m * lda), b = r.uniform(n * ldb), c0 = r.uniform(m * ldc);
                    for (boolean acc : new boolean[] {false, true}) {
                        float[] c = c0.clone();
                        Gemm.ntVector(m, n, k, a, 0, lda, b, 0, ldb, c, 0, ldc, acc);
                        for (int i = 0; i < m; i++) {
                            for (int j = 0; j < n; j++) {
                                float d = Gemm.dot(a, i * lda, b, j * ldb, k), want = acc ? c0[i * ldc + j] + d : d;
                                assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(c[i * ldc + j]),
                                        "m=" + m + " n=" + n + " k=" + k + " acc=" + acc + " at (" + i + ", " + j + ")");
                            }
                        }
                        cases++;
                    }
                }
            }
        }
        assertEquals(9 * 11 * 3 * 2, cases);
    }

    @Test
    void formsAgreeThroughTransposes() {
        Rnd r = new Rnd(2);
        int m = 13, n = 9, k = 11;
        float[] a = r.uniform(m * k), b = r.uniform(k * n);
        float[] at = transpose(a, m, k), bt = transpose(b, k, n);
        float[] c1 = new float[m * n], c2 = new float[m * n], c3 = new float[m * n];
        Gemm.nn(m, n, k, a, 0, k, b, 0, n, c1, 0, n, false);
        Gemm.nt(m, n, k, a, 0, k, bt, 0, k, c2, 0, n, false);
        Gemm.tn(m, n, k, at, 0, m, b, 0, n, c3, 0, n, false);
        Assert.close("NT vs NN", c1, c2, GEMM_ATOL, GEMM_RTOL);
        Assert.close("TN vs NN", c1, c3, GEMM_ATOL, GEMM_RTOL);
        // and against a double-precision product
        float[] exact = new float[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) s += (double) a[i * k + p] * b[p * n + j];
                exact[i * n + j] = (float) s;
            }
        }
        Assert.close("NN vs double", exact, c1, GEMM_ATOL, GEMM_RTOL);
    }

    @Test
    void blockedTransposeMatchesDefinition() {
        Rnd r = new Rnd(3);
        int cases = 0;
        // ≤ 64 columns: four columns per sweep; else ≤ 64 rows: four rows per sweep; else 32 × 32 blocks; remainders of 1–3
        for (int rows : new int[] {1, 3, 5, 31, 32, 33, 64, 70, 130}) {
            for (int cols : new int[] {1, 3, 4, 7, 16, 17, 64, 65, 66, 130}) {
                float[] x = r.uniform(3 + rows * cols), t = new float[rows * cols + 2];
                Transpose.transpose(x, 3, rows, cols, t, 1);
                for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) assertEquals(x[3 + i * cols + j], t[1 + j * rows + i]);
                cases++;
            }
        }
        assertEquals(90, cases);
    }

    static float[] transpose(float[] x, int rows, int cols) {
        float[] t = new float[x.length];
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) t[j * rows + i] = x[i * cols + j];
        return t;
    }
}
