package org.lance4j.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Single-precision GEMM in the three forms forward and backward passes need, on row-major matrices
 * given as (array, offset, leading dimension):
 * <ul>
 *   <li>{@link #nn}: C(M,N) (+)= A(M,K) · B(K,N) — conv forward (W · col), linear dX;</li>
 *   <li>{@link #nt}: C(M,N) (+)= A(M,K) · B(N,K)ᵀ — conv dW (dY · colᵀ), linear forward (X · Wᵀ);</li>
 *   <li>{@link #tn}: C(M,N) (+)= A(K,M)ᵀ · B(K,N) — conv dcol (Wᵀ · dY), linear dW (dYᵀ · X).</li>
 * </ul>
 * {@code acc} adds into C instead of overwriting it. Each form has a scalar reference ({@code *Scalar})
 * next to the vector version; the public entry points choose by {@link Vec#ENABLED}.
 *
 * <p>The vector NN/TN kernel is one register-blocked micro-kernel (4 rows × 2 vectors, 8 accumulators)
 * reading A through a (row stride, column stride) pair, so TN is NN with A's strides swapped. NT is a
 * blocked dot product along K (2 rows × 4 columns). These read their operands in place and serve small
 * products; larger ones go through {@link GemmBlocked} (packed panels, cache blocking, worker threads).
 */
public final class Gemm {
    private static final VectorSpecies<Float> S = Vec.F;

    private Gemm() { }

    public static void nn(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                          float[] c, int cOff, int ldc, boolean acc) {
        nn(null, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, acc);
    }

    public static void tn(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                          float[] c, int cOff, int ldc, boolean acc) {
        tn(null, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, acc);
    }

    public static void nt(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                          float[] c, int cOff, int ldc, boolean acc) {
        nt(null, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, acc);
    }

    /** {@link #nn} split over output tiles on {@code w}'s threads (null or one thread: on the caller's). */
    public static void nn(Workers w, int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                          float[] c, int cOff, int ldc, boolean acc) {
        Trace t = trace;
        if (t != null) t.call('n', 'n', m, n, k, acc);
        if (!Vec.ENABLED) {
            nnScalar(m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, acc);
        } else if (blockedAb(m, n, k)) {
            GemmBlocked.run(w, m, n, k, a, aOff, lda, 1, b, bOff, ldb, 1, c, cOff, ldc, acc);
        } else {
            abVector(m, n, k, a, aOff, lda, 1, b, bOff, ldb, c, cOff, ldc, acc);
        }
    }

    /** {@link #tn} split over output tiles on {@code w}'s threads (null or one thread: on the caller's). */
    public static void tn(Workers w, int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                          float[] c, int cOff, int ldc, boolean acc) {
        Trace t = trace;
        if (t != null) t.call('t', 'n', m, n, k, acc);
        if (!Vec.ENABLED) {
            tnScalar(m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, acc);
        } else if (blockedAb(m, n, k)) {
            GemmBlocked.run(w, m, n, k, a, aOff, 1, lda, b, bOff, ldb, 1, c, cOff, ldc, acc);
        } else {
            abVector(m, n, k, a, aOff, 1, lda, b, bOff, ldb, c, cOff, ldc, acc);
        }
    }

    /** {@link #nt} split over output tiles on {@code w}'s threads (null or one thread: on the caller's). */
    public static void nt(Workers w, int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                          float[] c, int cOff, int ldc, boolean acc) {
        Trace t = trace;
        if (t != null) t.call('n', 't', m, n, k, acc);
        if (!Vec.ENABLED) {
            ntScalar(m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, acc);
        } else if (blockedNt(m, n, k)) {
            GemmBlocked.run(w, m, n, k, a, aOff, lda, 1, b, bOff, 1, ldb, c, cOff, ldc, acc);
        } else {
            ntVector(m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, acc);
        }
    }

    /**
     * C_q (+)= A_q(M,K) · B_q(K,N) for q &lt; count, A_q at aOff + q·aStride, B_q at bOff + q·bStride, C_q at
     * cOff + q·cStride: independent products of one shape (Winograd's 16) in one call on the pool, split over all their
     * output tiles at once ({@link GemmBlocked#runMany}). Each product is exactly {@link #nn}'s, for any thread count.
     */
    public static void nnMany(Workers w, int count, int m, int n, int k, float[] a, int aOff, int lda, int aStride, float[] b, int bOff,
                              int ldb, int bStride, float[] c, int cOff, int ldc, int cStride, boolean acc) {
        if (!Vec.ENABLED || !blockedAb(m, n, k)) {
            for (int q = 0; q < count; q++) nn(w, m, n, k, a, aOff + q * aStride, lda, b, bOff + q * bStride, ldb, c, cOff + q * cStride, ldc, acc);
            return;
        }
        Trace t = trace;
        if (t != null) for (int q = 0; q < count; q++) t.call('n', 'n', m, n, k, acc);
        GemmBlocked.runMany(w, count, m, n, k, a, aOff, lda, 1, aStride, b, bOff, ldb, 1, bStride, c, cOff, ldc, cStride, acc);
    }

    /** {@link #nnMany} for {@link #nt}: C_q (+)= A_q(M,K) · B_q(N,K)ᵀ (Winograd's weight gradient). Each product exactly {@link #nt}'s. */
    public static void ntMany(Workers w, int count, int m, int n, int k, float[] a, int aOff, int lda, int aStride, float[] b, int bOff,
                              int ldb, int bStride, float[] c, int cOff, int ldc, int cStride, boolean acc) {
        if (!Vec.ENABLED || !blockedNt(m, n, k)) {
            for (int q = 0; q < count; q++) nt(w, m, n, k, a, aOff + q * aStride, lda, b, bOff + q * bStride, ldb, c, cOff + q * cStride, ldc, acc);
            return;
        }
        Trace t = trace;
        if (t != null) for (int q = 0; q < count; q++) t.call('n', 't', m, n, k, acc);
        GemmBlocked.runMany(w, count, m, n, k, a, aOff, lda, 1, aStride, b, bOff, 1, ldb, bStride, c, cOff, ldc, cStride, acc);
    }

    /**
     * C (+)= Σ_q A_q(M,K) · B_q(N,K)ᵀ for q &lt; count, A_q at aOff + q·aStride and B_q at bOff + q·bStride: a 1×1
     * convolution's weight gradient over the images of a batch in one split call instead of one per image.
     * Exactly the loop {@code for q: nt(…, acc || q > 0)} bit for bit, for any thread count.
     */
    public static void ntSum(Workers w, int m, int n, int k, float[] a, int aOff, int lda, int aStride, float[] b, int bOff, int ldb,
                             int bStride, float[] c, int cOff, int ldc, int count, boolean acc) {
        if (!Vec.ENABLED || !blockedNt(m, n, k)) {
            for (int q = 0; q < count; q++) nt(w, m, n, k, a, aOff + q * aStride, lda, b, bOff + q * bStride, ldb, c, cOff, ldc, acc || q > 0);
            return;
        }
        Trace t = trace;
        if (t != null) for (int q = 0; q < count; q++) t.call('n', 't', m, n, k, acc || q > 0);
        GemmBlocked.runSum(w, m, n, k, a, aOff, lda, 1, aStride, b, bOff, 1, ldb, bStride, c, cOff, ldc, acc, count);
    }

    /**
     * {@link #nn} for a run of products with one A (a convolution's weights against one chunk of images after
     * another): with {@code aUnchanged} the caller promises that A's values have not changed since its previous
     * call on this thread, and A's packed copy from that call is reused when it is still there (same array,
     * offset, stride and shape; any other batch call on the thread in between discards it). The result is
     * {@link #nn}'s bit for bit, for any thread count. Holds a reference to A until the thread's next such call.
     */
    public static void nnReusingA(Workers w, boolean aUnchanged, int m, int n, int k, float[] a, int aOff, int lda,
                                  float[] b, int bOff, int ldb, float[] c, int cOff, int ldc, boolean acc) {
        nnReusingA(w, aUnchanged, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, acc, null, null, 0, 0f);
    }

    /**
     * {@link #nnReusingA} followed, when {@code scale} is non-null, by row r of C ← clamp(scale[s + r] · row + shift[s + r],
     * 0, cap) ({@link Elementwise#rowsScaleShiftClamp}), each thread on its own columns right after computing them: a
     * frozen BN and the activation after a convolution.
     */
    public static void nnReusingA(Workers w, boolean aUnchanged, int m, int n, int k, float[] a, int aOff, int lda,
                                  float[] b, int bOff, int ldb, float[] c, int cOff, int ldc, boolean acc,
                                  float[] scale, float[] shift, int s, float cap) {
        if (!Vec.ENABLED || !blockedAb(m, n, k)) {
            nn(w, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, acc);
            if (scale != null) Elementwise.rowsScaleShiftClamp(c, cOff, m, n, ldc, scale, shift, s, cap);
            return;
        }
        Trace t = trace;
        if (t != null) t.call('n', 'n', m, n, k, acc);
        GemmBlocked.runReusingA(w, aUnchanged, m, n, k, a, aOff, lda, 1, b, bOff, ldb, 1, c, cOff, ldc, acc, scale, shift, s, cap);
    }

    /** {@link #nnReusingA} for {@link #tn}: A stored (K, M) (a convolution's input gradients chunk by chunk). */
    public static void tnReusingA(Workers w, boolean aUnchanged, int m, int n, int k, float[] a, int aOff, int lda,
                                  float[] b, int bOff, int ldb, float[] c, int cOff, int ldc, boolean acc) {
        if (!Vec.ENABLED || !blockedAb(m, n, k)) {
            tn(w, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, acc);
            return;
        }
        Trace t = trace;
        if (t != null) t.call('t', 'n', m, n, k, acc);
        GemmBlocked.runReusingA(w, aUnchanged, m, n, k, a, aOff, 1, lda, b, bOff, ldb, 1, c, cOff, ldc, acc);
    }

    /**
     * C_i (+)= A(M,K) · B_i(K,N) for i &lt; count, with B_i at bOff + i·bStride and C_i at cOff + i·cStride: a
     * 1×1 convolution's weights against every image of the batch, A packed once. Each product is exactly
     * {@link #nn}'s on that image (batching and the thread count never change a result).
     */
    public static void nnBatch(Workers w, int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb, int bStride,
                               float[] c, int cOff, int ldc, int cStride, int count, boolean acc) {
        nnBatch(w, m, n, k, a, aOff, lda, b, bOff, ldb, bStride, c, cOff, ldc, cStride, count, acc, null, null, 0, 0f);
    }

    /**
     * {@link #nnBatch} followed, when {@code scale} is non-null, by row r of each C_i ← clamp(scale[s + r] · row +
     * shift[s + r], 0, cap) ({@link Elementwise#rowsScaleShiftClamp}): a frozen BN and the activation after a 1×1
     * convolution, applied to each image's output right after its product, on the thread that computed it.
     */
    public static void nnBatch(Workers w, int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb, int bStride,
                               float[] c, int cOff, int ldc, int cStride, int count, boolean acc,
                               float[] scale, float[] shift, int s, float cap) {
        if (!Vec.ENABLED || !blockedAb(m, n, k)) {
            for (int i = 0; i < count; i++) {
                nn(w, m, n, k, a, aOff, lda, b, bOff + i * bStride, ldb, c, cOff + i * cStride, ldc, acc);
                if (scale != null) Elementwise.rowsScaleShiftClamp(c, cOff + i * cStride, m, n, ldc, scale, shift, s, cap);
            }
            return;
        }
        Trace t = trace;
        if (t != null) for (int i = 0; i < count; i++) t.call('n', 'n', m, n, k, acc);
        GemmBlocked.runBatch(w, m, n, k, a, aOff, lda, 1, b, bOff, bStride, ldb, 1, c, cOff, cStride, ldc, acc, count, scale, shift, s, cap);
    }

    /** C_i (+)= A(K,M)ᵀ · B_i(K,N) for i &lt; count ({@link #nnBatch} with A transposed: a 1×1 convolution's input gradients). */
    public static void tnBatch(Workers w, int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb, int bStride,
                               float[] c, int cOff, int ldc, int cStride, int count, boolean acc) {
        if (!Vec.ENABLED || !blockedAb(m, n, k)) {
            for (int i = 0; i < count; i++) tn(w, m, n, k, a, aOff, lda, b, bOff + i * bStride, ldb, c, cOff + i * cStride, ldc, acc);
            return;
        }
        Trace t = trace;
        if (t != null) for (int i = 0; i < count; i++) t.call('t', 'n', m, n, k, acc);
        GemmBlocked.runBatch(w, m, n, k, a, aOff, 1, lda, b, bOff, bStride, ldb, 1, c, cOff, cStride, ldc, acc, count);
    }

    /**
     * Whether a product goes through the packed, cache-blocked kernel ({@link GemmBlocked}): when it has at
     * least one full micro-tile each way and enough depth that packing A and B (M·K + K·N copies) is small
     * against the M·N·K multiply-adds. Smaller products (LANCE's per-image projections with ranks of a few,
     * a head of 10 classes) read their operands in place. Depends on the whole problem's shape only, so a
     * call takes the same path whatever the thread count.
     */
    public static boolean blocked(int m, int n, int k) {
        return m >= GemmBlocked.MR && n >= GemmBlocked.NR && k >= 16 && (long) m * n * k >= BLOCKED_MIN_MACS;
    }

    static final long BLOCKED_MIN_MACS = 32 * 1024;

    /**
     * {@link #blocked} for nt, whose small path is a dot product along K reading both operands in place: also that path
     * when the output is no larger than the depth (M·N ≤ K) — a few dozen long dot products, where the blocked path's
     * transposing copy of B (N·K floats) outweighs M·N·K / lanes multiply-adds. Measured alone (dot path / blocked,
     * alternating in one JVM, medians of 31): at 512 bits 16 × 32 × 1024 0.72, 8 × 32 × 1024 0.33, 16 × 16 × 1024 0.32,
     * 16 × 48 × 1024 0.55, 32 × 32 × 1024 1.03; at 128 bits 0.52–0.71 on the same shapes. Outside the rule the dot path
     * lost at 512 bits (24 × 96 × 1024 1.11, 16 × 32 × 256 1.07, 1.1–3.6 on K ≤ 512 with M·N in the thousands).
     */
    static boolean blockedNt(int m, int n, int k) {
        return blocked(m, n, k) && (long) m * n > k;
    }

    /**
     * Whether a weight gradient dY · colᵀ should be {@link #nt} on the operands as stored rather than {@link #nn} on an
     * explicit transpose of col: when nt takes its blocked path (which packs colᵀ itself), or its dot-product path over
     * dots at least as long as the output is large (M·N ≤ K, {@link #blockedNt}). Short dot products stay on the
     * transpose (they made the demo's 7 × 7 convolution's backward 2.8× slower); a thin output over long rows — the
     * stem's 16 × 27 over 1024 pixels — was an nn with a partial strip after a transpose (0.4–0.6 of OpenBLAS's speed).
     */
    public static boolean ntDirect(int m, int n, int k) {
        return blocked(m, n, k) || Vec.ENABLED && (long) m * n <= k;
    }

    /**
     * {@link #blocked} for nn and tn, whose small path ({@code abVector}) computes the columns past the last whole
     * vector one float at a time: also blocked when N is above one vector but below a tile (NR / 2 &lt; N &lt; NR), the
     * partial strip zero-padded. Measured alone (old and new path alternating in one JVM, medians of 15, blocked /
     * small path): at 512 bits (NR 32) N = 24 or 27 took 0.15–0.31 of the time; N = 16, a whole vector, 1.3–2.9 (so
     * not that); at 256 bits N = 10 / 12 0.63 / 0.30; at 128 bits N = 6 0.47, N = 5 0.97. nt keeps {@link #blocked}:
     * its small path is a dot product along K, faster than the blocked one on most of these shapes (0.9–1.9×).
     */
    static boolean blockedAb(int m, int n, int k) {
        return m >= GemmBlocked.MR && n > GemmBlocked.NR / 2 && k >= 16 && (long) m * n * k >= BLOCKED_MIN_MACS;
    }

    /** Sees every GEMM call's form and shape (benchmarks list the shapes a model's step produces); null: none. */
    public interface Trace {
        void call(char aForm, char bForm, int m, int n, int k, boolean acc);
    }

    private static volatile Trace trace;

    /** Installs (or with null removes) the process-wide {@link Trace}; for benchmarks, not for training. */
    public static void trace(Trace t) {
        trace = t;
    }

    // ---------------------------------------------------------------- scalar references

    public static void nnScalar(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                float[] c, int cOff, int ldc, boolean acc) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float s = acc ? c[cOff + i * ldc + j] : 0f;
                for (int p = 0; p < k; p++) s += a[aOff + i * lda + p] * b[bOff + p * ldb + j];
                c[cOff + i * ldc + j] = s;
            }
        }
    }

    public static void ntScalar(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                float[] c, int cOff, int ldc, boolean acc) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float s = acc ? c[cOff + i * ldc + j] : 0f;
                for (int p = 0; p < k; p++) s += a[aOff + i * lda + p] * b[bOff + j * ldb + p];
                c[cOff + i * ldc + j] = s;
            }
        }
    }

    public static void tnScalar(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                float[] c, int cOff, int ldc, boolean acc) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float s = acc ? c[cOff + i * ldc + j] : 0f;
                for (int p = 0; p < k; p++) s += a[aOff + p * lda + i] * b[bOff + p * ldb + j];
                c[cOff + i * ldc + j] = s;
            }
        }
    }

    // ---------------------------------------------------------------- vector kernels

    /** C(M,N) (+)= A·B where A(i,p) = a[aOff + i*ars + p*acs] and B is row-major (K,N). */
    static void abVector(int m, int n, int k, float[] a, int aOff, int ars, int acs, float[] b, int bOff, int ldb,
                         float[] c, int cOff, int ldc, boolean acc) {
        final int l = S.length();
        final int n2 = n - n % (2 * l);
        final int n1 = n - n % l;
        int i = 0;
        if (n2 == 0 && n1 == l) {   // one vector of columns (N = 16 at 512 bits): eight rows, eight chains
            for (; i + 8 <= m; i += 8) rows8OneVector(n, k, a, aOff + i * ars, ars, acs, b, bOff, ldb, c, cOff + i * ldc, ldc, acc);
        }
        if (n2 > 0) {   // pairs of vectors on eight rows; the columns past them as their own product on those rows
            for (; i + 8 <= m; i += 8) {
                rows8TwoVectors(n2, k, a, aOff + i * ars, ars, acs, b, bOff, ldb, c, cOff + i * ldc, ldc, acc);
                if (n2 < n) abVector(8, n - n2, k, a, aOff + i * ars, ars, acs, b, bOff + n2, ldb, c, cOff + i * ldc + n2, ldc, acc);
            }
        }
        for (; i + 4 <= m; i += 4) {
            final int a0 = aOff + i * ars, a1 = a0 + ars, a2 = a1 + ars, a3 = a2 + ars;
            final int c0 = cOff + i * ldc, c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
            int j = 0;
            for (; j < n2; j += 2 * l) {
                FloatVector x00, x01, x10, x11, x20, x21, x30, x31;
                if (acc) {
                    x00 = FloatVector.fromArray(S, c, c0 + j); x01 = FloatVector.fromArray(S, c, c0 + j + l);
                    x10 = FloatVector.fromArray(S, c, c1 + j); x11 = FloatVector.fromArray(S, c, c1 + j + l);
                    x20 = FloatVector.fromArray(S, c, c2 + j); x21 = FloatVector.fromArray(S, c, c2 + j + l);
                    x30 = FloatVector.fromArray(S, c, c3 + j); x31 = FloatVector.fromArray(S, c, c3 + j + l);
                } else {
                    x00 = x01 = x10 = x11 = x20 = x21 = x30 = x31 = FloatVector.zero(S);
                }
                int bp = bOff + j;
                for (int p = 0; p < k; p++, bp += ldb) {
                    FloatVector b0 = FloatVector.fromArray(S, b, bp);
                    FloatVector b1 = FloatVector.fromArray(S, b, bp + l);
                    int q = p * acs;
                    FloatVector v = FloatVector.broadcast(S, a[a0 + q]);
                    x00 = v.fma(b0, x00); x01 = v.fma(b1, x01);
                    v = FloatVector.broadcast(S, a[a1 + q]);
                    x10 = v.fma(b0, x10); x11 = v.fma(b1, x11);
                    v = FloatVector.broadcast(S, a[a2 + q]);
                    x20 = v.fma(b0, x20); x21 = v.fma(b1, x21);
                    v = FloatVector.broadcast(S, a[a3 + q]);
                    x30 = v.fma(b0, x30); x31 = v.fma(b1, x31);
                }
                x00.intoArray(c, c0 + j); x01.intoArray(c, c0 + j + l);
                x10.intoArray(c, c1 + j); x11.intoArray(c, c1 + j + l);
                x20.intoArray(c, c2 + j); x21.intoArray(c, c2 + j + l);
                x30.intoArray(c, c3 + j); x31.intoArray(c, c3 + j + l);
            }
            for (; j < n1; j += l) {
                FloatVector x0, x1, x2, x3;
                if (acc) {
                    x0 = FloatVector.fromArray(S, c, c0 + j); x1 = FloatVector.fromArray(S, c, c1 + j);
                    x2 = FloatVector.fromArray(S, c, c2 + j); x3 = FloatVector.fromArray(S, c, c3 + j);
                } else {
                    x0 = x1 = x2 = x3 = FloatVector.zero(S);
                }
                int bp = bOff + j;
                for (int p = 0; p < k; p++, bp += ldb) {
                    FloatVector b0 = FloatVector.fromArray(S, b, bp);
                    int q = p * acs;
                    x0 = FloatVector.broadcast(S, a[a0 + q]).fma(b0, x0);
                    x1 = FloatVector.broadcast(S, a[a1 + q]).fma(b0, x1);
                    x2 = FloatVector.broadcast(S, a[a2 + q]).fma(b0, x2);
                    x3 = FloatVector.broadcast(S, a[a3 + q]).fma(b0, x3);
                }
                x0.intoArray(c, c0 + j); x1.intoArray(c, c1 + j);
                x2.intoArray(c, c2 + j); x3.intoArray(c, c3 + j);
            }
            for (; j < n; j++) {
                float s0 = acc ? c[c0 + j] : 0f, s1 = acc ? c[c1 + j] : 0f;
                float s2 = acc ? c[c2 + j] : 0f, s3 = acc ? c[c3 + j] : 0f;
                int bp = bOff + j;
                for (int p = 0; p < k; p++, bp += ldb) {
                    float bv = b[bp];
                    int q = p * acs;
                    s0 += a[a0 + q] * bv; s1 += a[a1 + q] * bv;
                    s2 += a[a2 + q] * bv; s3 += a[a3 + q] * bv;
                }
                c[c0 + j] = s0; c[c1 + j] = s1; c[c2 + j] = s2; c[c3 + j] = s3;
            }
        }
        for (; i < m; i++) {
            final int a0 = aOff + i * ars;
            final int c0 = cOff + i * ldc;
            int j = 0;
            for (; j < n1; j += l) {
                FloatVector x0 = acc ? FloatVector.fromArray(S, c, c0 + j) : FloatVector.zero(S);
                int bp = bOff + j;
                for (int p = 0; p < k; p++, bp += ldb) {
                    x0 = FloatVector.broadcast(S, a[a0 + p * acs]).fma(FloatVector.fromArray(S, b, bp), x0);
                }
                x0.intoArray(c, c0 + j);
            }
            for (; j < n; j++) {
                float s = acc ? c[c0 + j] : 0f;
                int bp = bOff + j;
                for (int p = 0; p < k; p++, bp += ldb) s += a[a0 + p * acs] * b[bp];
                c[c0 + j] = s;
            }
        }
    }

    /**
     * {@link #abVector} on eight rows when N holds one whole vector (L ≤ N &lt; 2L): eight accumulators rather than the
     * four-row loop's four, which left the FMA pipes waiting on latency (nn 96 × 16 × 1024 ran at ~40 % of peak at 512
     * bits); the columns past the vector float by float. Every element is computed as the four-row loop computes it: the
     * same bits.
     */
    private static void rows8OneVector(int n, int k, float[] a, int a0, int ars, int acs, float[] b, int bOff, int ldb,
                                       float[] c, int c0, int ldc, boolean acc) {
        final int l = S.length();
        final int a1 = a0 + ars, a2 = a1 + ars, a3 = a2 + ars, a4 = a3 + ars, a5 = a4 + ars, a6 = a5 + ars, a7 = a6 + ars;
        FloatVector x0, x1, x2, x3, x4, x5, x6, x7;
        if (acc) {
            x0 = FloatVector.fromArray(S, c, c0); x1 = FloatVector.fromArray(S, c, c0 + ldc);
            x2 = FloatVector.fromArray(S, c, c0 + 2 * ldc); x3 = FloatVector.fromArray(S, c, c0 + 3 * ldc);
            x4 = FloatVector.fromArray(S, c, c0 + 4 * ldc); x5 = FloatVector.fromArray(S, c, c0 + 5 * ldc);
            x6 = FloatVector.fromArray(S, c, c0 + 6 * ldc); x7 = FloatVector.fromArray(S, c, c0 + 7 * ldc);
        } else {
            x0 = x1 = x2 = x3 = x4 = x5 = x6 = x7 = FloatVector.zero(S);
        }
        for (int p = 0, bp = bOff; p < k; p++, bp += ldb) {
            FloatVector v = FloatVector.fromArray(S, b, bp);
            int q = p * acs;
            x0 = FloatVector.broadcast(S, a[a0 + q]).fma(v, x0);
            x1 = FloatVector.broadcast(S, a[a1 + q]).fma(v, x1);
            x2 = FloatVector.broadcast(S, a[a2 + q]).fma(v, x2);
            x3 = FloatVector.broadcast(S, a[a3 + q]).fma(v, x3);
            x4 = FloatVector.broadcast(S, a[a4 + q]).fma(v, x4);
            x5 = FloatVector.broadcast(S, a[a5 + q]).fma(v, x5);
            x6 = FloatVector.broadcast(S, a[a6 + q]).fma(v, x6);
            x7 = FloatVector.broadcast(S, a[a7 + q]).fma(v, x7);
        }
        x0.intoArray(c, c0); x1.intoArray(c, c0 + ldc); x2.intoArray(c, c0 + 2 * ldc); x3.intoArray(c, c0 + 3 * ldc);
        x4.intoArray(c, c0 + 4 * ldc); x5.intoArray(c, c0 + 5 * ldc); x6.intoArray(c, c0 + 6 * ldc); x7.intoArray(c, c0 + 7 * ldc);
        for (int r = 0; r < 8; r++) {
            int ar = a0 + r * ars, cr = c0 + r * ldc;
            for (int j = l; j < n; j++) {
                float sum = acc ? c[cr + j] : 0f;
                for (int p = 0, bp = bOff + j; p < k; p++, bp += ldb) sum += a[ar + p * acs] * b[bp];
                c[cr + j] = sum;
            }
        }
    }

    /**
     * {@link #abVector}'s columns [0, n2) (n2 a multiple of 2L) on eight rows: sixteen accumulators, two vectors of B per
     * step serving eight rows rather than four, so B is read from cache half as often (nn 32 × 1280 × 10, a head's input
     * gradient: B's 51 KB, swept once per row block, outgrew the L1). Every element is computed as the four-row loop
     * computes it: the same bits.
     */
    private static void rows8TwoVectors(int n2, int k, float[] a, int a0, int ars, int acs, float[] b, int bOff, int ldb,
                                        float[] c, int c0, int ldc, boolean acc) {
        final int l = S.length();
        final int a1 = a0 + ars, a2 = a1 + ars, a3 = a2 + ars, a4 = a3 + ars, a5 = a4 + ars, a6 = a5 + ars, a7 = a6 + ars;
        final int c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc, c4 = c3 + ldc, c5 = c4 + ldc, c6 = c5 + ldc, c7 = c6 + ldc;
        for (int j = 0; j < n2; j += 2 * l) {
            FloatVector x00, x01, x10, x11, x20, x21, x30, x31, x40, x41, x50, x51, x60, x61, x70, x71;
            if (acc) {
                x00 = FloatVector.fromArray(S, c, c0 + j); x01 = FloatVector.fromArray(S, c, c0 + j + l);
                x10 = FloatVector.fromArray(S, c, c1 + j); x11 = FloatVector.fromArray(S, c, c1 + j + l);
                x20 = FloatVector.fromArray(S, c, c2 + j); x21 = FloatVector.fromArray(S, c, c2 + j + l);
                x30 = FloatVector.fromArray(S, c, c3 + j); x31 = FloatVector.fromArray(S, c, c3 + j + l);
                x40 = FloatVector.fromArray(S, c, c4 + j); x41 = FloatVector.fromArray(S, c, c4 + j + l);
                x50 = FloatVector.fromArray(S, c, c5 + j); x51 = FloatVector.fromArray(S, c, c5 + j + l);
                x60 = FloatVector.fromArray(S, c, c6 + j); x61 = FloatVector.fromArray(S, c, c6 + j + l);
                x70 = FloatVector.fromArray(S, c, c7 + j); x71 = FloatVector.fromArray(S, c, c7 + j + l);
            } else {
                x00 = x01 = x10 = x11 = x20 = x21 = x30 = x31 = x40 = x41 = x50 = x51 = x60 = x61 = x70 = x71 = FloatVector.zero(S);
            }
            for (int p = 0, bp = bOff + j; p < k; p++, bp += ldb) {
                FloatVector b0 = FloatVector.fromArray(S, b, bp), b1 = FloatVector.fromArray(S, b, bp + l);
                int q = p * acs;
                FloatVector v = FloatVector.broadcast(S, a[a0 + q]);
                x00 = v.fma(b0, x00); x01 = v.fma(b1, x01);
                v = FloatVector.broadcast(S, a[a1 + q]);
                x10 = v.fma(b0, x10); x11 = v.fma(b1, x11);
                v = FloatVector.broadcast(S, a[a2 + q]);
                x20 = v.fma(b0, x20); x21 = v.fma(b1, x21);
                v = FloatVector.broadcast(S, a[a3 + q]);
                x30 = v.fma(b0, x30); x31 = v.fma(b1, x31);
                v = FloatVector.broadcast(S, a[a4 + q]);
                x40 = v.fma(b0, x40); x41 = v.fma(b1, x41);
                v = FloatVector.broadcast(S, a[a5 + q]);
                x50 = v.fma(b0, x50); x51 = v.fma(b1, x51);
                v = FloatVector.broadcast(S, a[a6 + q]);
                x60 = v.fma(b0, x60); x61 = v.fma(b1, x61);
                v = FloatVector.broadcast(S, a[a7 + q]);
                x70 = v.fma(b0, x70); x71 = v.fma(b1, x71);
            }
            x00.intoArray(c, c0 + j); x01.intoArray(c, c0 + j + l);
            x10.intoArray(c, c1 + j); x11.intoArray(c, c1 + j + l);
            x20.intoArray(c, c2 + j); x21.intoArray(c, c2 + j + l);
            x30.intoArray(c, c3 + j); x31.intoArray(c, c3 + j + l);
            x40.intoArray(c, c4 + j); x41.intoArray(c, c4 + j + l);
            x50.intoArray(c, c5 + j); x51.intoArray(c, c5 + j + l);
            x60.intoArray(c, c6 + j); x61.intoArray(c, c6 + j + l);
            x70.intoArray(c, c7 + j); x71.intoArray(c, c7 + j + l);
        }
    }

    /** Each thread's room for {@link #ntVector}'s stored accumulators (at most sixteen vectors). */
    private static final ThreadLocal<float[]> NT_SUMS = ThreadLocal.withInitial(() -> new float[16 * S.length()]);

    /**
     * Whether {@link #ntVector} works in 4 × 4 blocks (sixteen accumulators, four A and four B vectors loaded for sixteen
     * fused multiply-adds) before its 2 × 4 ones: at 512 bits, where x86 has 32 vector registers. Below, it keeps 2 × 4
     * (eight accumulators), as {@link GemmBlocked#rows()} keeps five rows there. 4 × 4 against 2 × 4 at 512 bits, both
     * with {@link Vec#sumEachStored}: 0.79–0.89 of the time on nt 32×10×160, 16×16×256, 32×10×512 and 32×27×1024.
     */
    static final boolean NT_FOUR_ROWS = Vec.LANES >= 16;

    /**
     * C(M,N) (+)= A(M,K)·B(N,K)ᵀ as blocked dot products along K: each block's accumulators are stored and their lanes
     * summed all at once by {@link Vec#sumEachStored} (a handful of vector operations per output instead of L − 1
     * scalar additions, which took more time than the products themselves at K = 160), then the scalar tail. Every
     * element has {@link #dot}'s bits, whichever block it falls in.
     */
    static void ntVector(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                         float[] c, int cOff, int ldc, boolean acc) {
        final int l = S.length();
        final int k1 = k - k % l;
        if (k1 == 0) {   // dot products shorter than a vector: no vector work to do, and no boxes
            ntScalar(m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, acc);
            return;
        }
        final float[] t = NT_SUMS.get();
        int i = 0;
        if (NT_FOUR_ROWS) {
            for (; i + 4 <= m; i += 4) {
                final int a0 = aOff + i * lda, c0 = cOff + i * ldc;
                int j = 0;
                for (; j + 4 <= n; j += 4) dots4x4(k, k1, a, a0, lda, b, bOff + j * ldb, ldb, c, c0 + j, ldc, acc, t);
                for (; j + 2 <= n; j += 2) {
                    dots2x2(k, k1, a, a0, lda, b, bOff + j * ldb, ldb, c, c0 + j, ldc, acc, t);
                    dots2x2(k, k1, a, a0 + 2 * lda, lda, b, bOff + j * ldb, ldb, c, c0 + 2 * ldc + j, ldc, acc, t);
                }
                if (j < n) {
                    dots2x1(k, k1, a, a0, lda, b, bOff + j * ldb, c, c0 + j, ldc, acc, t);
                    dots2x1(k, k1, a, a0 + 2 * lda, lda, b, bOff + j * ldb, c, c0 + 2 * ldc + j, ldc, acc, t);
                }
            }
        }
        for (; i + 2 <= m; i += 2) {
            final int a0 = aOff + i * lda, a1 = a0 + lda;
            final int c0 = cOff + i * ldc, c1 = c0 + ldc;
            int j = 0;
            for (; j + 4 <= n; j += 4) {
                final int b0 = bOff + j * ldb, b1 = b0 + ldb, b2 = b1 + ldb, b3 = b2 + ldb;
                FloatVector x00 = FloatVector.zero(S), x01 = x00, x02 = x00, x03 = x00;
                FloatVector x10 = x00, x11 = x00, x12 = x00, x13 = x00;
                int p = 0;
                for (; p < k1; p += l) {
                    FloatVector va0 = FloatVector.fromArray(S, a, a0 + p);
                    FloatVector va1 = FloatVector.fromArray(S, a, a1 + p);
                    FloatVector vb = FloatVector.fromArray(S, b, b0 + p);
                    x00 = va0.fma(vb, x00); x10 = va1.fma(vb, x10);
                    vb = FloatVector.fromArray(S, b, b1 + p);
                    x01 = va0.fma(vb, x01); x11 = va1.fma(vb, x11);
                    vb = FloatVector.fromArray(S, b, b2 + p);
                    x02 = va0.fma(vb, x02); x12 = va1.fma(vb, x12);
                    vb = FloatVector.fromArray(S, b, b3 + p);
                    x03 = va0.fma(vb, x03); x13 = va1.fma(vb, x13);
                }
                // the eight accumulators stored and their lanes summed from there (Vec.sumStored: sumLanes's order and
                // bits) — no vector crosses a call, so none can be left boxed by a sum C2 does not inline
                x00.intoArray(t, 0); x01.intoArray(t, l); x02.intoArray(t, 2 * l); x03.intoArray(t, 3 * l);
                x10.intoArray(t, 4 * l); x11.intoArray(t, 5 * l); x12.intoArray(t, 6 * l); x13.intoArray(t, 7 * l);
                Vec.sumEachStored(t, 8);
                float s00 = t[0], s01 = t[1], s02 = t[2], s03 = t[3], s10 = t[4], s11 = t[5], s12 = t[6], s13 = t[7];
                for (; p < k; p++) {
                    float u0 = a[a0 + p], u1 = a[a1 + p];
                    float w0 = b[b0 + p], w1 = b[b1 + p], w2 = b[b2 + p], w3 = b[b3 + p];
                    s00 += u0 * w0; s01 += u0 * w1; s02 += u0 * w2; s03 += u0 * w3;
                    s10 += u1 * w0; s11 += u1 * w1; s12 += u1 * w2; s13 += u1 * w3;
                }
                if (acc) {
                    c[c0 + j] += s00; c[c0 + j + 1] += s01; c[c0 + j + 2] += s02; c[c0 + j + 3] += s03;
                    c[c1 + j] += s10; c[c1 + j + 1] += s11; c[c1 + j + 2] += s12; c[c1 + j + 3] += s13;
                } else {
                    c[c0 + j] = s00; c[c0 + j + 1] = s01; c[c0 + j + 2] = s02; c[c0 + j + 3] = s03;
                    c[c1 + j] = s10; c[c1 + j + 1] = s11; c[c1 + j + 2] = s12; c[c1 + j + 3] = s13;
                }
            }
            // the last one to three columns two by two, then one: four or two chains at a time rather than a call to
            // dot per element, each one chain, latency-bound (N = 10: a fifth of the products, half the time)
            for (; j + 2 <= n; j += 2) dots2x2(k, k1, a, a0, lda, b, bOff + j * ldb, ldb, c, c0 + j, ldc, acc, t);
            if (j < n) dots2x1(k, k1, a, a0, lda, b, bOff + j * ldb, c, c0 + j, ldc, acc, t);
        }
        for (; i < m; i++) {
            final int a0 = aOff + i * lda;
            final int c0 = cOff + i * ldc;
            for (int j = 0; j < n; j++) {
                float s = dot(a, a0, b, bOff + j * ldb, k);
                c[c0 + j] = acc ? c[c0 + j] + s : s;
            }
        }
    }

    /**
     * {@link #ntVector}'s 2 × 2 block: C(i..i+1, j..j+1) (+)= the dot products of A's rows at a0, a0 + lda with B's at
     * b0, b0 + ldb over k (k1 of them in vectors), each summed exactly as {@link #dot} sums it (the same fused
     * multiply-adds in the same order, the lanes by {@link Vec#sumEachStored} as {@link Vec#sumLanes} sums them, then the
     * scalar tail): the same bits.
     */
    private static void dots2x2(int k, int k1, float[] a, int a0, int lda, float[] b, int b0, int ldb, float[] c, int c0, int ldc,
                                boolean acc, float[] t) {
        final int l = S.length(), a1 = a0 + lda, b1 = b0 + ldb, c1 = c0 + ldc;
        FloatVector x00 = FloatVector.zero(S), x01 = x00, x10 = x00, x11 = x00;
        int p = 0;
        for (; p < k1; p += l) {
            FloatVector va0 = FloatVector.fromArray(S, a, a0 + p), va1 = FloatVector.fromArray(S, a, a1 + p);
            FloatVector vb = FloatVector.fromArray(S, b, b0 + p);
            x00 = va0.fma(vb, x00); x10 = va1.fma(vb, x10);
            vb = FloatVector.fromArray(S, b, b1 + p);
            x01 = va0.fma(vb, x01); x11 = va1.fma(vb, x11);
        }
        x00.intoArray(t, 0); x01.intoArray(t, l); x10.intoArray(t, 2 * l); x11.intoArray(t, 3 * l);
        Vec.sumEachStored(t, 4);
        float s00 = t[0], s01 = t[1], s10 = t[2], s11 = t[3];
        for (; p < k; p++) {
            float u0 = a[a0 + p], u1 = a[a1 + p], w0 = b[b0 + p], w1 = b[b1 + p];
            s00 += u0 * w0; s01 += u0 * w1; s10 += u1 * w0; s11 += u1 * w1;
        }
        if (acc) {
            c[c0] += s00; c[c0 + 1] += s01; c[c1] += s10; c[c1 + 1] += s11;
        } else {
            c[c0] = s00; c[c0 + 1] = s01; c[c1] = s10; c[c1 + 1] = s11;
        }
    }

    /** {@link #ntVector}'s 4 × 4 block at a0 (A's four rows), b0 (B's four), c0: {@link #dots2x2}'s sums, sixteen at once. */
    private static void dots4x4(int k, int k1, float[] a, int a0, int lda, float[] b, int b0, int ldb, float[] c, int c0, int ldc,
                                boolean acc, float[] t) {
        final int l = S.length(), a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda, b1 = b0 + ldb, b2 = b1 + ldb, b3 = b2 + ldb;
        FloatVector x00 = FloatVector.zero(S), x01 = x00, x02 = x00, x03 = x00, x10 = x00, x11 = x00, x12 = x00, x13 = x00;
        FloatVector x20 = x00, x21 = x00, x22 = x00, x23 = x00, x30 = x00, x31 = x00, x32 = x00, x33 = x00;
        int p = 0;
        for (; p < k1; p += l) {
            FloatVector w0 = FloatVector.fromArray(S, b, b0 + p), w1 = FloatVector.fromArray(S, b, b1 + p);
            FloatVector w2 = FloatVector.fromArray(S, b, b2 + p), w3 = FloatVector.fromArray(S, b, b3 + p);
            FloatVector u = FloatVector.fromArray(S, a, a0 + p);
            x00 = u.fma(w0, x00); x01 = u.fma(w1, x01); x02 = u.fma(w2, x02); x03 = u.fma(w3, x03);
            u = FloatVector.fromArray(S, a, a1 + p);
            x10 = u.fma(w0, x10); x11 = u.fma(w1, x11); x12 = u.fma(w2, x12); x13 = u.fma(w3, x13);
            u = FloatVector.fromArray(S, a, a2 + p);
            x20 = u.fma(w0, x20); x21 = u.fma(w1, x21); x22 = u.fma(w2, x22); x23 = u.fma(w3, x23);
            u = FloatVector.fromArray(S, a, a3 + p);
            x30 = u.fma(w0, x30); x31 = u.fma(w1, x31); x32 = u.fma(w2, x32); x33 = u.fma(w3, x33);
        }
        x00.intoArray(t, 0); x01.intoArray(t, l); x02.intoArray(t, 2 * l); x03.intoArray(t, 3 * l);
        x10.intoArray(t, 4 * l); x11.intoArray(t, 5 * l); x12.intoArray(t, 6 * l); x13.intoArray(t, 7 * l);
        x20.intoArray(t, 8 * l); x21.intoArray(t, 9 * l); x22.intoArray(t, 10 * l); x23.intoArray(t, 11 * l);
        x30.intoArray(t, 12 * l); x31.intoArray(t, 13 * l); x32.intoArray(t, 14 * l); x33.intoArray(t, 15 * l);
        Vec.sumEachStored(t, 16);
        for (int i = 0; i < 4; i++) {
            final int ai = a0 + i * lda, ci = c0 + i * ldc;
            for (int j = 0; j < 4; j++) {
                final int bj = b0 + j * ldb;
                float s = t[4 * i + j];
                for (int q = p; q < k; q++) s += a[ai + q] * b[bj + q];
                c[ci + j] = acc ? c[ci + j] + s : s;
            }
        }
    }

    /** {@link #dots2x2} for one column: C(i..i+1, j) (+)= the rows at a0, a0 + lda dotted with B's row at b0. */
    private static void dots2x1(int k, int k1, float[] a, int a0, int lda, float[] b, int b0, float[] c, int c0, int ldc,
                                boolean acc, float[] t) {
        final int l = S.length(), a1 = a0 + lda;
        FloatVector x0 = FloatVector.zero(S), x1 = x0;
        int p = 0;
        for (; p < k1; p += l) {
            FloatVector vb = FloatVector.fromArray(S, b, b0 + p);
            x0 = FloatVector.fromArray(S, a, a0 + p).fma(vb, x0);
            x1 = FloatVector.fromArray(S, a, a1 + p).fma(vb, x1);
        }
        x0.intoArray(t, 0); x1.intoArray(t, l);
        Vec.sumEachStored(t, 2);
        float s0 = t[0], s1 = t[1];
        for (; p < k; p++) {
            float w = b[b0 + p];
            s0 += a[a0 + p] * w; s1 += a[a1 + p] * w;
        }
        c[c0] = acc ? c[c0] + s0 : s0;
        c[c0 + ldc] = acc ? c[c0 + ldc] + s1 : s1;
    }

    /**
     * Σ x[xOff+p]·y[yOff+p] for p < n, vectorized with a scalar tail. Every JVM we start keeps it out of line
     * ({@code -XX:CompileCommand=dontinline,org.lance4j.kernel.Gemm::dot}, in the launcher, the tests' argLine and the
     * JMH forks): inlined into {@link #ntVector}'s edge loops — an odd row or a last 1–3 columns, which HOSVD's ranks
     * change from step to step — C2 left its load and FMA as calls into the Vector API's generic code, which boxes
     * every vector (JFR allocation events at this method's FMA): HOSVD on two layers allocated 38,400 bytes per step
     * for as long as we ran it. Compiled on its own it is fully intrinsified; a call per dot product costs little next
     * to the products themselves (these are edge loops). An application embedding the engine should pass the flag too.
     */
    static float dot(float[] x, int xOff, float[] y, int yOff, int n) {
        final int l = S.length();
        final int n1 = n - n % l;
        int p = 0;
        float r = 0f;
        if (n1 > 0) {   // no vector for short runs: a zero-trip accumulator would stay boxed
            FloatVector s = FloatVector.zero(S);
            for (; p < n1; p += l) {
                s = FloatVector.fromArray(S, x, xOff + p).fma(FloatVector.fromArray(S, y, yOff + p), s);
            }
            r = Vec.sumLanes(s);
        }
        for (; p < n; p++) r += x[xOff + p] * y[yOff + p];
        return r;
    }
}
