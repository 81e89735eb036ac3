package org.lance4j.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.lance4j.testutil.Assert;
import org.lance4j.testutil.Conv3x3Reference;
import org.lance4j.testutil.Rnd;

/**
 * F(2 × 2, 3 × 3) against a direct convolution in double: the forward (3 × 3, stride 1, padding 1) and the input
 * gradient (flipped weights, channel roles swapped, added into dX), over odd planes (1 × 1 up to 9 × 11, tiles cut by
 * the edges), several images side by side in V and M, and every ξ through the library's GEMM.
 */
class WinogradTest {
    /** The transforms reassociate a few float sums: errors of a few ulps of the inputs' scale. */
    static final double ATOL = 2e-5, RTOL = 2e-5;

    /**
     * out (n, rows, h, w) (+)= the Winograd convolution of in (n, cols, h, w) by U from {@link Winograd#weights} (rows
     * split in two calls, to check the row range), through Gemm.nn per ξ; V and M hold all images side by side.
     */
    private static void winograd(float[] in, int n, int cols, int rows, int h, int w, float[] wt, int o, int c, boolean flip,
                                 float[] out, boolean add) {
        int tpi = Winograd.tiles(h, w), t = n * tpi, pad = 3;   // offsets and padded strides check the index arithmetic
        int ldu = cols + 1, ldv = t + 2;
        float[] u = new float[pad + Winograd.XI * rows * ldu];
        int half = rows / 2, uStride = rows * ldu;
        Winograd.weights(wt, 0, o, c, flip, 0, half, u, pad, uStride, ldu);
        Winograd.weights(wt, 0, o, c, flip, half, rows, u, pad + half * ldu, uStride, ldu);
        float[] v = new float[pad + Winograd.XI * cols * ldv], m = new float[pad + Winograd.XI * rows * ldv];
        java.util.Arrays.fill(v, Float.NaN);
        int vStride = cols * ldv, mStride = rows * ldv;
        for (int b = 0; b < n; b++) {
            Winograd.input(in, b * cols * h * w, 0, cols, h, w, v, pad, vStride, ldv, b * tpi);
        }
        for (int xi = 0; xi < Winograd.XI; xi++) {
            Gemm.nn(rows, t, cols, u, pad + xi * uStride, ldu, v, pad + xi * vStride, ldv, m, pad + xi * mStride, ldv, false);
        }
        for (int b = 0; b < n; b++) {
            Winograd.output(m, pad, mStride, ldv, b * tpi, 0, rows, h, w, out, b * rows * h * w, add);
        }
    }

    /**
     * The vector input transform gives {@link Winograd#input}'s bits: planes from 1 to 3·lanes·2 + 1 wide (whole
     * vectors of tiles, tails, and planes narrower than a vector, which fall back), odd heights, garbage in the scratch.
     */
    @Test
    void phaseInputTransformGivesTheScalarBits() {
        Rnd r = new Rnd(26);
        int l = Vec.LANES, cases = 0;
        int[] widths = {1, 5, 2 * l - 1, 2 * l, 2 * l + 1, 4 * l - 3, 6 * l + 1};
        for (int h : new int[] {1, 2, 7, 10}) {
            for (int w : widths) {
                int c = 3, tpi = Winograd.tiles(h, w), ld = 2 * tpi + 3, stride = c * ld + 5;
                float[] x = r.uniform(1 + 2 * c * h * w), want = new float[2 + Winograd.XI * stride], got = new float[want.length];
                java.util.Arrays.fill(want, Float.NaN);
                java.util.Arrays.fill(got, Float.NaN);
                float[] ws = r.uniform(3 + Winograd.phaseFloats(h, w));
                for (int b = 0; b < 2; b++) {
                    Winograd.input(x, 1 + b * c * h * w, 1, c, h, w, want, 2, stride, ld, b * tpi);
                    Winograd.inputPhases(x, 1 + b * c * h * w, 1, c, h, w, got, 2, stride, ld, b * tpi, ws, 3);
                }
                Assert.sameBits(want, got, "phase input transform h=" + h + " w=" + w);
                cases++;
            }
        }
        assertEquals(28, cases);
    }

    /**
     * The vector output transform gives {@link Winograd#output}'s bits, stored and added: planes from one tile to several
     * vectors of tiles with tails, odd sizes (tiles cut by the edges), garbage in the scratch.
     */
    @Test
    void phaseOutputTransformGivesTheScalarBits() {
        Rnd r = new Rnd(27);
        int l = Vec.LANES, cases = 0;
        for (int h : new int[] {1, 2, 7, 10, 2 * l + 1}) {
            for (int w : new int[] {1, 5, 2 * l - 1, 2 * l, 4 * l - 3}) {
                for (boolean add : new boolean[] {false, true}) {
                    int c = 3, tpi = Winograd.tiles(h, w), ld = 2 * tpi + 3, stride = c * ld + 5;
                    float[] m = r.uniform(2 + Winograd.XI * stride), want = r.uniform(1 + 2 * c * h * w), got = want.clone();
                    float[] ws = r.uniform(3 + Winograd.phaseFloats(h, w));
                    for (int b = 0; b < 2; b++) {
                        Winograd.output(m, 2, stride, ld, b * tpi, 1, c, h, w, want, 1 + b * c * h * w, add);
                        Winograd.outputPhases(m, 2, stride, ld, b * tpi, 1, c, h, w, got, 1 + b * c * h * w, add, ws, 3);
                    }
                    Assert.sameBits(want, got, "phase output transform h=" + h + " w=" + w + " add=" + add);
                    cases++;
                }
            }
        }
        assertEquals(50, cases);
    }

    @Test
    void forwardMatchesDirectConvolution() {
        Rnd r = new Rnd(21);
        int cases = 0;
        for (int h : new int[] {1, 2, 3, 4, 7, 9}) {
            for (int w : new int[] {1, 2, 5, 8, 11}) {
                for (int[] co : new int[][] {{1, 1}, {3, 5}, {17, 6}, {8, 21}}) {
                    int c = co[0], o = co[1], n = 1 + (h + w) % 3;
                    float[] x = r.uniform(n * c * h * w), wt = r.uniform(o * c * 9);
                    double[] want = Conv3x3Reference.forward(x, n, c, h, w, wt, o);
                    float[] y = r.uniform(n * o * h * w);   // overwritten everywhere
                    winograd(x, n, c, o, h, w, wt, o, c, false, y, false);
                    Assert.close("forward h=" + h + " w=" + w + " c=" + c + " o=" + o, Conv3x3Reference.toFloat(want), y, ATOL * c, RTOL);
                    cases++;
                }
            }
        }
        assertEquals(120, cases);
    }

    @Test
    void inputGradientMatchesDirectAndAdds() {
        Rnd r = new Rnd(22);
        int cases = 0;
        for (int h : new int[] {1, 3, 4, 6, 9}) {
            for (int w : new int[] {1, 2, 7, 10}) {
                for (int[] co : new int[][] {{2, 3}, {9, 16}, {20, 7}}) {
                    int c = co[0], o = co[1], n = 1 + (h * w) % 3;
                    float[] dy = r.uniform(n * o * h * w), wt = r.uniform(o * c * 9);
                    float[] before = r.uniform(n * c * h * w), dx = before.clone();
                    double[] want = Conv3x3Reference.inputGrad(dy, n, o, h, w, wt, c);
                    for (int i = 0; i < want.length; i++) want[i] += before[i];
                    winograd(dy, n, o, c, h, w, wt, o, c, true, dx, true);
                    Assert.close("input gradient h=" + h + " w=" + w + " c=" + c + " o=" + o, Conv3x3Reference.toFloat(want), dx, ATOL * o, RTOL);
                    cases++;
                }
            }
        }
        assertEquals(60, cases);
    }

    /**
     * The weight gradient dW(o, c, kh, kw) += Σ_n Σ dy(n, o, oy, ox) x(n, c, oy + kh − 1, ox + kw − 1): V from the input,
     * M' from dY ({@link Winograd#outputAdjoint}, output rows split in two calls), Z_ξ = M'_ξ V_ξᵀ through Gemm.nt, then
     * {@link Winograd#weightsAdjoint} (rows in two calls) adding into dW — against the direct sum in double.
     */
    @Test
    void weightGradientMatchesDirectAndAdds() {
        Rnd r = new Rnd(24);
        int cases = 0;
        for (int h : new int[] {1, 2, 5, 8}) {
            for (int w : new int[] {1, 3, 6, 9}) {
                for (int[] co : new int[][] {{1, 2}, {7, 5}, {16, 19}}) {
                    int c = co[0], o = co[1], n = 1 + (h + 2 * w) % 3, tpi = Winograd.tiles(h, w), t = n * tpi, pad = 2, ld = t + 3;
                    float[] x = r.uniform(n * c * h * w), dy = r.uniform(n * o * h * w);
                    float[] before = r.uniform(o * c * 9), dw = before.clone();
                    double[] want = Conv3x3Reference.weightGrad(x, dy, n, c, h, w, o);
                    for (int i = 0; i < want.length; i++) want[i] += before[i];
                    int vStride = c * ld + 5, mStride = o * ld + 7, zStride = o * (c + 1) + 3;
                    float[] v = new float[pad + Winograd.XI * vStride], m = new float[pad + Winograd.XI * mStride], z = new float[pad + Winograd.XI * zStride];
                    java.util.Arrays.fill(m, Float.NaN);
                    int half = o / 2;
                    for (int b = 0; b < n; b++) {
                        Winograd.input(x, b * c * h * w, 0, c, h, w, v, pad, vStride, ld, b * tpi);
                        Winograd.outputAdjoint(dy, b * o * h * w, 0, half, h, w, m, pad, mStride, ld, b * tpi);
                        Winograd.outputAdjoint(dy, b * o * h * w, half, o, h, w, m, pad + half * ld, mStride, ld, b * tpi);
                    }
                    for (int xi = 0; xi < Winograd.XI; xi++) {
                        Gemm.nt(o, c, t, m, pad + xi * mStride, ld, v, pad + xi * vStride, ld, z, pad + xi * zStride, c + 1, false);
                    }
                    Winograd.weightsAdjoint(z, pad, zStride, c + 1, 0, half, c, dw, 0);
                    Winograd.weightsAdjoint(z, pad + half * (c + 1), zStride, c + 1, half, o, c, dw, 0);
                    Assert.close("weight gradient h=" + h + " w=" + w + " c=" + c + " o=" + o, Conv3x3Reference.toFloat(want), dw, ATOL * n * h * w, RTOL);
                    cases++;
                }
            }
        }
        assertEquals(48, cases);
    }

    /** Against the im2col GEMM on a ResNet-sized layer: the difference is rounding, a few ulps of the outputs' scale. */
    @Test
    void closeToIm2colOnALayerShape() {
        Rnd r = new Rnd(23);
        int c = 64, o = 64, h = 16, w = 16;
        float[] x = r.uniform(c * h * w), wt = r.uniform(o * c * 9, -0.05, 0.05);
        float[] col = new float[c * 9 * h * w], ref = new float[o * h * w], y = new float[o * h * w];
        Im2col.im2colScalar(x, 0, c, h, w, 3, 1, 1, col, 0);
        Gemm.nnScalar(o, h * w, c * 9, wt, 0, c * 9, col, 0, h * w, ref, 0, h * w, false);
        winograd(x, 1, c, o, h, w, wt, o, c, false, y, false);
        double exact = 0, worstRef = 0, worstWino = 0;
        double[] want = Conv3x3Reference.forward(x, 1, c, h, w, wt, o);
        for (int i = 0; i < want.length; i++) {
            exact = Math.max(exact, Math.abs(want[i]));
            worstRef = Math.max(worstRef, Math.abs(ref[i] - want[i]));
            worstWino = Math.max(worstWino, Math.abs(y[i] - want[i]));
        }
        // measured here: im2col's largest error ~2e-7 of the outputs' ~1.5, Winograd's ~4e-7
        assertTrue(worstWino < 1e-5 * exact, "Winograd's error " + worstWino + " against outputs up to " + exact);
        assertTrue(worstWino < 8 * Math.max(worstRef, 1e-8), "Winograd " + worstWino + " vs im2col " + worstRef);
    }
}
