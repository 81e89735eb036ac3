package org.lance4j.kernel;

/**
 * n-mode products and per-mode Gram matrices of a 4-mode activation X (B, C, H, W), built on the GEMM
 * kernels (so they are vectorized wherever GEMM is). Factors are row-major (D, r).
 */
public final class ModeOps {
    private ModeOps() { }

    /**
     * Accumulates the mode Gram matrices of one batch: gB (B, B) += X₍B₎X₍B₎ᵀ, gC (C, C) += Σ_b X_b X_bᵀ,
     * gH (H, H) += Σ planes P Pᵀ, gW (W, W) += Σ planes Pᵀ P. Any of them may be null.
     */
    public static void gram(float[] x, int off, int b, int c, int h, int w, float[] gB, float[] gC, float[] gH, float[] gW) {
        gram(x, off, b, c, h, w, gB, gC, gH, gW, 0);
    }

    /**
     * As {@link #gram(float[], int, int, int, int, int, float[], float[], float[], float[])}, each Gram at gOff in its array.
     * gW is one GEMM over all rows (the tensor is a (B·C·H, W) matrix); gC is one GEMM when planes are
     * 1 × 1 (then X is (B, C)); gH of one-row planes is a sum of squares — small planes would otherwise
     * cost a kernel call per image or per plane (a 3,136-wide linear input: 64 calls of an
     * inner-dimension-1 product per batch).
     */
    public static void gram(float[] x, int off, int b, int c, int h, int w, float[] gB, float[] gC, float[] gH, float[] gW, int gOff) {
        int chw = c * h * w, hw = h * w;
        if (gB != null) Gemm.nt(b, b, chw, x, off, chw, x, off, chw, gB, gOff, b, true);
        if (gW != null) Gemm.tn(w, w, b * c * h, x, off, w, x, off, w, gW, gOff, w, true);
        if (gC != null) {
            if (hw == 1) Gemm.tn(c, c, b, x, off, c, x, off, c, gC, gOff, c, true);
            else for (int n = 0; n < b; n++) Gemm.nt(c, c, hw, x, off + n * chw, hw, x, off + n * chw, hw, gC, gOff, c, true);
        }
        if (gH == null) return;
        if (h == 1) {
            double s = 0;
            for (int i = 0; i < b * chw; i++) s += (double) x[off + i] * x[off + i];
            gH[gOff] += (float) s;
            return;
        }
        for (int p = off, end = off + b * chw; p < end; p += hw) Gemm.nt(h, h, w, x, p, w, x, p, w, gH, gOff, h, true);
    }

    /**
     * Orthonormalizes the r columns of u (D, r) in place by modified Gram–Schmidt with double
     * accumulation. A column that vanishes (rank-deficient input) is replaced by the first unit vector
     * orthogonal to the previous ones, so the result is always orthonormal.
     */
    public static void orthonormalize(float[] u, int off, int d, int r) {
        for (int j = 0; j < r; j++) {
            for (int pass = 0; pass < 2; pass++) {          // twice is enough (Kahan's "twice is enough")
                for (int p = 0; p < j; p++) {
                    double dot = 0;
                    for (int i = 0; i < d; i++) dot += (double) u[off + i * r + p] * u[off + i * r + j];
                    for (int i = 0; i < d; i++) u[off + i * r + j] -= (float) (dot * u[off + i * r + p]);
                }
            }
            double n = 0;
            for (int i = 0; i < d; i++) n += (double) u[off + i * r + j] * u[off + i * r + j];
            if (n < 1e-24) {
                // replace by a unit vector and re-orthogonalize it against the previous columns
                for (int e = 0; e < d; e++) {
                    for (int i = 0; i < d; i++) u[off + i * r + j] = i == e ? 1f : 0f;
                    for (int p = 0; p < j; p++) {
                        double dot = u[off + e * r + p];
                        for (int i = 0; i < d; i++) u[off + i * r + j] -= (float) (dot * u[off + i * r + p]);
                    }
                    n = 0;
                    for (int i = 0; i < d; i++) n += (double) u[off + i * r + j] * u[off + i * r + j];
                    if (n > 1e-6) break;
                }
            }
            float inv = (float) (1 / Math.sqrt(n));
            for (int i = 0; i < d; i++) u[off + i * r + j] *= inv;
        }
    }

    /**
     * One warm-started subspace iteration (ASI): u (D, r) ← orth(G · u) for a mode Gram G (D, D); v is
     * (D, r) scratch.
     */
    public static void subspaceIteration(float[] g, int gOff, float[] u, int uOff, int d, int r, float[] v, int vOff) {
        Gemm.nn(d, r, d, g, gOff, d, u, uOff, r, v, vOff, r, false);
        orthonormalize(v, vOff, d, r);
        System.arraycopy(v, vOff, u, uOff, d * r);
    }

    /**
     * The same iteration from the unfolding A (D, N) of the mode instead of its Gram: u (D, r) ←
     * orth(A (Aᵀ u)) — 2·D·N·r multiply-adds instead of D²·N for the Gram (what the peers' ASI does);
     * t is (N, r) and v (D, r) scratch.
     */
    public static void subspaceIterationUnfolded(float[] a, int aOff, int d, int n, float[] u, int uOff, int r, float[] t, int tOff,
                                                 float[] v, int vOff) {
        Gemm.tn(n, r, d, a, aOff, n, u, uOff, r, t, tOff, r, false);
        Gemm.nn(d, r, n, a, aOff, n, t, tOff, r, v, vOff, r, false);
        orthonormalize(v, vOff, d, r);
        System.arraycopy(v, vOff, u, uOff, d * r);
    }

    /**
     * The mode-n unfolding X₍ₙ₎ of X (B, C, H, W) written row-major to dst as (D_n, N) with N the product of
     * the other sizes, columns in the order of the remaining modes.
     */
    public static void unfold(float[] x, int off, int b, int c, int h, int w, int mode, float[] dst, int dOff) {
        int hw = h * w, chw = c * hw;
        switch (mode) {
            case 0 -> System.arraycopy(x, off, dst, dOff, b * chw);
            case 1 -> {   // row ch: (b, h, w)
                for (int ch = 0; ch < c; ch++) {
                    for (int n = 0; n < b; n++) System.arraycopy(x, off + n * chw + ch * hw, dst, dOff + ch * b * hw + n * hw, hw);
                }
            }
            case 2 -> {   // row y: (b, c, w)
                for (int y = 0; y < h; y++) {
                    for (int p = 0; p < b * c; p++) System.arraycopy(x, off + p * hw + y * w, dst, dOff + y * b * c * w + p * w, w);
                }
            }
            case 3 -> {   // row x: (b, c, h)
                int n = b * c * h;
                for (int i = 0; i < n; i++) {
                    for (int xx = 0; xx < w; xx++) dst[dOff + xx * n + i] = x[off + i * w + xx];
                }
            }
            default -> throw new IllegalArgumentException("mode " + mode);
        }
    }

    /** Workspace floats for {@link #project}. */
    public static int projectWorkspace(int b, int c, int h, int rC, int rH, int rW, boolean batch) {
        return b * c * h * rW + b * c * rH * rW + (batch ? b * rC * rH * rW : 0);
    }

    /**
     * Core S = X ×_W U_Wᵀ ×_H U_Hᵀ ×_C U_Cᵀ (×_B U_Bᵀ when uB is non-null), written to s as
     * (r_B or B, r_C, r_H, r_W). Each factor is read as (array, offset) (D, r).
     */
    public static void project(float[] x, int xOff, int b, int c, int h, int w,
                               float[] uB, int uBOff, int rB, float[] uC, int uCOff, int rC, float[] uH, int uHOff, int rH,
                               float[] uW, int uWOff, int rW, float[] s, int sOff, float[] ws, int wsOff) {
        int x1 = wsOff;                              // (B, C, H, r_W)
        int x2 = x1 + b * c * h * rW;                // (B, C, r_H, r_W)
        int x3 = x2 + b * c * rH * rW;               // (B, r_C, r_H, r_W) when the batch is projected
        Gemm.nn(b * c * h, rW, w, x, xOff, w, uW, uWOff, rW, ws, x1, rW, false);
        for (int pl = 0; pl < b * c; pl++) {
            Gemm.tn(rH, rW, h, uH, uHOff, rH, ws, x1 + pl * h * rW, rW, ws, x2 + pl * rH * rW, rW, false);
        }
        int hw = rH * rW;
        float[] dst = uB != null ? ws : s;
        int dOff = uB != null ? x3 : sOff;
        for (int n = 0; n < b; n++) {
            Gemm.tn(rC, hw, c, uC, uCOff, rC, ws, x2 + n * c * hw, hw, dst, dOff + n * rC * hw, hw, false);
        }
        if (uB != null) {
            int m = rC * hw;
            Gemm.tn(rB, m, b, uB, uBOff, rB, ws, x3, m, s, sOff, m, false);
        }
    }

    /**
     * One spatially reconstructed plane T (H, W) = U_H · S_plane (r_H, r_W) · U_Wᵀ, via q (r_H, W)
     * in the workspace.
     */
    public static void reconstructPlane(float[] s, int sOff, float[] uH, int uHOff, int h, int rH, float[] uW, int uWOff,
                                        int w, int rW, float[] t, int tOff, float[] ws, int qOff) {
        Gemm.nt(rH, w, rW, s, sOff, rW, uW, uWOff, rW, ws, qOff, w, false);
        Gemm.nn(h, w, rH, uH, uHOff, rH, ws, qOff, w, t, tOff, w, false);
    }
}
