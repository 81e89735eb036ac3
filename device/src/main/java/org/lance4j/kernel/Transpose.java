package org.lance4j.kernel;

/**
 * dst(C, R) = src(R, C)ᵀ, cache-blocked. Used to turn a weight-gradient product dY · colᵀ (a dot-product
 * GEMM, slow when the shared dimension — output pixels — is short) into dY · (colᵀ) with the
 * register-blocked A·B micro-kernel. Pure data movement, so one implementation serves every species.
 */
public final class Transpose {
    private static final int BLOCK = 32;

    private Transpose() { }

    /** Up to this many columns, one pass per column (see {@link #transpose}). */
    static final int NARROW = 16;

    public static void transpose(float[] src, int srcOff, int rows, int cols, float[] dst, int dstOff) {
        if (cols <= NARROW) {
            // few columns (a depthwise layer's small planes going channels last: C rows of 4 or 16 values): each
            // destination row written in one run, the source read a few floats apart; 32 × 32 blocks spent their
            // loop overhead on 4-float rows (measured alone: 0.44 of the time for 960 × 4, 0.86 for 384 × 16)
            for (int c = 0; c < cols; c++) {
                int d = dstOff + c * rows, s = srcOff + c;
                for (int r = 0; r < rows; r++) dst[d + r] = src[s + r * cols];
            }
            return;
        }
        for (int r0 = 0; r0 < rows; r0 += BLOCK) {
            int r1 = Math.min(rows, r0 + BLOCK);
            for (int c0 = 0; c0 < cols; c0 += BLOCK) {
                int c1 = Math.min(cols, c0 + BLOCK);
                for (int r = r0; r < r1; r++) {
                    int s = srcOff + r * cols;
                    for (int c = c0; c < c1; c++) dst[dstOff + c * rows + r] = src[s + c];
                }
            }
        }
    }
}
