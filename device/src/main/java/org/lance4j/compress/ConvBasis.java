package org.lance4j.compress;

/**
 * Fixed orthonormal bases for the modes of a convolution's input X (B, C, H, W): U_C (C, r_C),
 * U_H (H, r_H), U_W (W, r_W), row-major, and optionally U_B (B, r_B) for the batch mode (then the batch
 * size may never change). The stored core is S = X ×_C U_Cᵀ ×_H U_Hᵀ ×_W U_Wᵀ (×_B U_Bᵀ).
 *
 * <p>{@code unfolded}: the continual-learning layout. The modes are those of the im2col unfolding of the
 * input, (B, C·K·K, OH·OW): {@code c} is the column length C·K·K in (c, kh, kw) order (the order of the
 * weight viewed as (O, C·K·K)), {@code h} the number of output positions L, {@code w} = 1. The core is
 * S_b = U_Cᵀ col(X_b) U_H per image (or mixed by U_B), and every weight gradient it gives has its rows in
 * the span of U_C — in the null space of the protected memory when U_C was calibrated there.
 */
public record ConvBasis(int b, int c, int h, int w, float[] uB, int rB, float[] uC, int rC, float[] uH, int rH, float[] uW, int rW,
                        boolean unfolded) {
    public ConvBasis(int b, int c, int h, int w, float[] uB, int rB, float[] uC, int rC, float[] uH, int rH, float[] uW, int rW) {
        this(b, c, h, w, uB, rB, uC, rC, uH, rH, uW, rW, false);
    }

    public ConvBasis {
        if (unfolded && w != 1) throw new IllegalArgumentException("an unfolded basis has modes (B, C·K·K, L, 1), got W = " + w);
        check("C", c, uC, rC);
        check("H", h, uH, rH);
        check("W", w, uW, rW);
        if (uB != null) check("B", b, uB, rB);
        else rB = b;
    }

    private static void check(String mode, int d, float[] u, int r) {
        if (r < 1 || r > d) throw new IllegalArgumentException("rank of mode " + mode + " must be in [1, " + d + "], got " + r);
        if (u == null || u.length != d * r) {
            throw new IllegalArgumentException("basis of mode " + mode + " must be " + d + "×" + r + ", got " + (u == null ? "none" : u.length + " values"));
        }
    }

    public boolean projectsBatch() {
        return uB != null;
    }

    /** Floats of the core (r_B or B, r_C, r_H, r_W). */
    public int coreSize() {
        return rB * rC * rH * rW;
    }

    /** Floats of the factor matrices. */
    public int factorSize() {
        return (uB != null ? b * rB : 0) + c * rC + h * rH + w * rW;
    }

    /** Floats of the factors a layer holds: the trivial 1 × 1 mode of an unfolded basis is not kept. */
    public int heldFactorSize() {
        return factorSize() - (unfolded ? 1 : 0);
    }
}
