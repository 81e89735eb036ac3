package org.lance4j.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Winograd's minimal filtering F(2 × 2, 3 × 3) for a 3 × 3 convolution at stride 1 with padding 1 (Lavin and Gray,
 * "Fast Algorithms for Convolutional Neural Networks", 2016): each 2 × 2 output tile is Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A
 * for the 4 × 4 input tile d around it, so the 9 multiplies per output pixel and input channel of a direct
 * convolution become 16 per tile of 4 pixels — the sum over input channels, done per position ξ of the 4 × 4 tile,
 * is 16 GEMMs M_ξ(O, T) = U_ξ(O, C) · V_ξ(C, T) over the T tiles: 2.25× fewer multiply-adds than im2col's GEMM.
 *
 * <p>Legend: C = input channels, O = output channels, H, W = plane size (the same in and out), T = tiles,
 * ξ = 4·i + j, the position in a 4 × 4 transformed tile. Layouts: U (16, rows, ld) — ξ-major, then one row per output
 * channel; V (16, C, ld) and M (16, O, ld) — ξ-major, one row per channel, one column per tile, tiles in (image,
 * tile row, tile column) order. Matrices (rows of Bᵀ, G and Aᵀ):
 * <pre>
 *   Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1]   G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]   Aᵀ = [1 1 1 0; 0 1 −1 −1]
 * </pre>
 * The input gradient of the same convolution is the same computation on dY with the weights rotated by 180° and the
 * channel roles swapped ({@link #weights} with {@code flip}); the weight gradient is the adjoint of the forward's
 * bilinear form: Z_ξ = Σ_tiles M'_ξ V_ξᵀ with M' = A dY Aᵀ ({@link #outputAdjoint}), then dW = Gᵀ Z G
 * ({@link #weightsAdjoint}).
 *
 * <p>Rounding: the transforms add and subtract (and halve, exactly), so results differ from the direct convolution's
 * in the last bits, by about as much as a different summation order would (measured in {@code WinogradTest}). Every
 * output element is computed by the same operations whatever the split over threads (the transforms are split by
 * channels, the GEMMs by output tiles).
 */
public final class Winograd {
    private Winograd() { }

    /** Positions in a transformed tile. */
    public static final int XI = 16;

    /** Tiles of a plane: ⌈H/2⌉·⌈W/2⌉. */
    public static int tiles(int h, int w) {
        return ((h + 1) / 2) * ((w + 1) / 2);
    }

    /**
     * u[uOff + ξ·xiStride + (r − r0)·ld + q] ← (G g Gᵀ)[ξ] for rows r0 ≤ r &lt; r1, for the weights w (O, C, 3, 3) at wOff:
     * forward (flip false) row r = o, column q = c, g = w[o][c]; input gradient (flip true) row r = c, column q = o,
     * g = w[o][c] rotated by 180°.
     */
    public static void weights(float[] w, int wOff, int o, int c, boolean flip, int r0, int r1, float[] u, int uOff, int xiStride, int ld) {
        int cols = flip ? o : c;
        for (int r = r0; r < r1; r++) {
            int dst = uOff + (r - r0) * ld;
            for (int q = 0; q < cols; q++) {
                int src = wOff + (flip ? q * c + r : r * c + q) * 9;
                float g0, g1, g2, g3, g4, g5, g6, g7, g8;
                if (flip) {
                    g0 = w[src + 8]; g1 = w[src + 7]; g2 = w[src + 6]; g3 = w[src + 5]; g4 = w[src + 4];
                    g5 = w[src + 3]; g6 = w[src + 2]; g7 = w[src + 1]; g8 = w[src];
                } else {
                    g0 = w[src]; g1 = w[src + 1]; g2 = w[src + 2]; g3 = w[src + 3]; g4 = w[src + 4];
                    g5 = w[src + 5]; g6 = w[src + 6]; g7 = w[src + 7]; g8 = w[src + 8];
                }
                // G g: rows of G applied down each column b of g (a 4 × 3 intermediate, h{i}{b})
                float h00 = g0, h01 = g1, h02 = g2;
                float h10 = 0.5f * (g0 + g3 + g6), h11 = 0.5f * (g1 + g4 + g7), h12 = 0.5f * (g2 + g5 + g8);
                float h20 = 0.5f * (g0 - g3 + g6), h21 = 0.5f * (g1 - g4 + g7), h22 = 0.5f * (g2 - g5 + g8);
                float h30 = g6, h31 = g7, h32 = g8;
                int d = dst + q;
                store4(u, d, xiStride, h00, h01, h02);
                store4(u, d + 4 * xiStride, xiStride, h10, h11, h12);
                store4(u, d + 8 * xiStride, xiStride, h20, h21, h22);
                store4(u, d + 12 * xiStride, xiStride, h30, h31, h32);
            }
        }
    }

    /** One row i of (G g) Gᵀ: the four positions j at d + j·xiStride. */
    private static void store4(float[] u, int d, int xiStride, float a, float b, float c) {
        u[d] = a;
        u[d + xiStride] = 0.5f * (a + b + c);
        u[d + 2 * xiStride] = 0.5f * (a - b + c);
        u[d + 3 * xiStride] = c;
    }

    /**
     * V ← Bᵀ d B for every tile of channels c0 ≤ ch &lt; c1 of one image: x's plane ch at xOff + ch·H·W, zero outside the
     * plane (padding 1); tile (ty, tx) to column t0 + ty·⌈W/2⌉ + tx of row ch of V_ξ at vOff + ξ·xiStride + ch·ld.
     */
    public static void input(float[] x, int xOff, int c0, int c1, int h, int w, float[] v, int vOff, int xiStride, int ld, int t0) {
        int th = (h + 1) / 2, tw = (w + 1) / 2;
        for (int ch = c0; ch < c1; ch++) {
            int plane = xOff + ch * h * w;
            for (int ty = 0; ty < th; ty++) {
                int y0 = 2 * ty - 1;
                boolean rowsInside = y0 >= 0 && y0 + 3 < h;
                int col = vOff + ch * ld + t0 + ty * tw;
                for (int tx = 0; tx < tw; tx++, col++) {
                    int x0 = 2 * tx - 1;
                    float d00, d01, d02, d03, d10, d11, d12, d13, d20, d21, d22, d23, d30, d31, d32, d33;
                    if (rowsInside && x0 >= 0 && x0 + 3 < w) {
                        int p = plane + y0 * w + x0;
                        d00 = x[p]; d01 = x[p + 1]; d02 = x[p + 2]; d03 = x[p + 3];
                        p += w;
                        d10 = x[p]; d11 = x[p + 1]; d12 = x[p + 2]; d13 = x[p + 3];
                        p += w;
                        d20 = x[p]; d21 = x[p + 1]; d22 = x[p + 2]; d23 = x[p + 3];
                        p += w;
                        d30 = x[p]; d31 = x[p + 1]; d32 = x[p + 2]; d33 = x[p + 3];
                    } else {   // a border tile: values outside the plane are the padding's zeros
                        d00 = at(x, plane, h, w, y0, x0); d01 = at(x, plane, h, w, y0, x0 + 1);
                        d02 = at(x, plane, h, w, y0, x0 + 2); d03 = at(x, plane, h, w, y0, x0 + 3);
                        d10 = at(x, plane, h, w, y0 + 1, x0); d11 = at(x, plane, h, w, y0 + 1, x0 + 1);
                        d12 = at(x, plane, h, w, y0 + 1, x0 + 2); d13 = at(x, plane, h, w, y0 + 1, x0 + 3);
                        d20 = at(x, plane, h, w, y0 + 2, x0); d21 = at(x, plane, h, w, y0 + 2, x0 + 1);
                        d22 = at(x, plane, h, w, y0 + 2, x0 + 2); d23 = at(x, plane, h, w, y0 + 2, x0 + 3);
                        d30 = at(x, plane, h, w, y0 + 3, x0); d31 = at(x, plane, h, w, y0 + 3, x0 + 1);
                        d32 = at(x, plane, h, w, y0 + 3, x0 + 2); d33 = at(x, plane, h, w, y0 + 3, x0 + 3);
                    }
                    // Bᵀ d: rows combined, column by column
                    float r00 = d00 - d20, r01 = d01 - d21, r02 = d02 - d22, r03 = d03 - d23;
                    float r10 = d10 + d20, r11 = d11 + d21, r12 = d12 + d22, r13 = d13 + d23;
                    float r20 = d20 - d10, r21 = d21 - d11, r22 = d22 - d12, r23 = d23 - d13;
                    float r30 = d10 - d30, r31 = d11 - d31, r32 = d12 - d32, r33 = d13 - d33;
                    // (Bᵀ d) B: columns combined, row by row
                    v[col] = r00 - r02; v[col + xiStride] = r01 + r02; v[col + 2 * xiStride] = r02 - r01; v[col + 3 * xiStride] = r01 - r03;
                    int o = col + 4 * xiStride;
                    v[o] = r10 - r12; v[o + xiStride] = r11 + r12; v[o + 2 * xiStride] = r12 - r11; v[o + 3 * xiStride] = r11 - r13;
                    o += 4 * xiStride;
                    v[o] = r20 - r22; v[o + xiStride] = r21 + r22; v[o + 2 * xiStride] = r22 - r21; v[o + 3 * xiStride] = r21 - r23;
                    o += 4 * xiStride;
                    v[o] = r30 - r32; v[o + xiStride] = r31 + r32; v[o + 2 * xiStride] = r32 - r31; v[o + 3 * xiStride] = r31 - r33;
                }
            }
        }
    }

    /**
     * The weight gradient's first factor, the output transform's adjoint: M'_ξ ← (A dy Aᵀ)[ξ] per tile, for channels
     * c0 ≤ ch &lt; c1 of one image's dY (plane ch at yOff + ch·H·W; a tile's outputs outside the plane count as 0); tile
     * (ty, tx) to column t0 + ty·⌈W/2⌉ + tx of row ch − c0 of M'_ξ at mOff + ξ·xiStride + (ch − c0)·ld. With V from
     * {@link #input} on the convolution's input, Z_ξ = Σ_tiles M'_ξ V_ξᵀ is the gradient of U_ξ, and {@link #weightsAdjoint}
     * takes it back to the 3 × 3 weights.
     */
    public static void outputAdjoint(float[] dy, int yOff, int c0, int c1, int h, int w, float[] m, int mOff, int xiStride, int ld, int t0) {
        int th = (h + 1) / 2, tw = (w + 1) / 2;
        for (int ch = c0; ch < c1; ch++) {
            int plane = yOff + ch * h * w;
            for (int ty = 0; ty < th; ty++) {
                int col = mOff + (ch - c0) * ld + t0 + ty * tw;
                boolean second = 2 * ty + 1 < h;
                for (int tx = 0; tx < tw; tx++, col++) {
                    int p = plane + 2 * ty * w + 2 * tx;
                    boolean right = 2 * tx + 1 < w;
                    float y00 = dy[p], y01 = right ? dy[p + 1] : 0f;
                    float y10 = second ? dy[p + w] : 0f, y11 = second && right ? dy[p + w + 1] : 0f;
                    // A dy: rows (y0, y0 + y1, y0 − y1, −y1) for each column
                    float a0 = y00, a1 = y00 + y10, a2 = y00 - y10, a3 = -y10;
                    float b0 = y01, b1 = y01 + y11, b2 = y01 - y11, b3 = -y11;
                    // (A dy) Aᵀ: the same on each row's two columns
                    int o = col;
                    m[o] = a0; m[o + xiStride] = a0 + b0; m[o + 2 * xiStride] = a0 - b0; m[o + 3 * xiStride] = -b0;
                    o += 4 * xiStride;
                    m[o] = a1; m[o + xiStride] = a1 + b1; m[o + 2 * xiStride] = a1 - b1; m[o + 3 * xiStride] = -b1;
                    o += 4 * xiStride;
                    m[o] = a2; m[o + xiStride] = a2 + b2; m[o + 2 * xiStride] = a2 - b2; m[o + 3 * xiStride] = -b2;
                    o += 4 * xiStride;
                    m[o] = a3; m[o + xiStride] = a3 + b3; m[o + 2 * xiStride] = a3 - b3; m[o + 3 * xiStride] = -b3;
                }
            }
        }
    }

    /**
     * dw += Gᵀ Z G, the weight transform's adjoint, for output channels r0 ≤ r &lt; r1 and every input channel q &lt; cols:
     * Z_ξ's (r, q) at zOff + ξ·xiStride + (r − r0)·ld + q; dw (O, cols, 3, 3) at dwOff.
     */
    public static void weightsAdjoint(float[] z, int zOff, int xiStride, int ld, int r0, int r1, int cols, float[] dw, int dwOff) {
        for (int r = r0; r < r1; r++) {
            for (int q = 0; q < cols; q++) {
                int s = zOff + (r - r0) * ld + q, d = dwOff + (r * cols + q) * 9;
                // Gᵀ Z: rows (z0 + ½(z1 + z2), ½(z1 − z2), ½(z1 + z2) + z3) down each column j
                float z00 = z[s], z01 = z[s + xiStride], z02 = z[s + 2 * xiStride], z03 = z[s + 3 * xiStride];
                float z10 = z[s + 4 * xiStride], z11 = z[s + 5 * xiStride], z12 = z[s + 6 * xiStride], z13 = z[s + 7 * xiStride];
                float z20 = z[s + 8 * xiStride], z21 = z[s + 9 * xiStride], z22 = z[s + 10 * xiStride], z23 = z[s + 11 * xiStride];
                float z30 = z[s + 12 * xiStride], z31 = z[s + 13 * xiStride], z32 = z[s + 14 * xiStride], z33 = z[s + 15 * xiStride];
                float p0 = z00 + 0.5f * (z10 + z20), p1 = z01 + 0.5f * (z11 + z21), p2 = z02 + 0.5f * (z12 + z22), p3 = z03 + 0.5f * (z13 + z23);
                float q0 = 0.5f * (z10 - z20), q1 = 0.5f * (z11 - z21), q2 = 0.5f * (z12 - z22), q3 = 0.5f * (z13 - z23);
                float u0 = 0.5f * (z10 + z20) + z30, u1 = 0.5f * (z11 + z21) + z31, u2 = 0.5f * (z12 + z22) + z32, u3 = 0.5f * (z13 + z23) + z33;
                // (Gᵀ Z) G: the same on each row's four columns
                dw[d] += p0 + 0.5f * (p1 + p2); dw[d + 1] += 0.5f * (p1 - p2); dw[d + 2] += 0.5f * (p1 + p2) + p3;
                dw[d + 3] += q0 + 0.5f * (q1 + q2); dw[d + 4] += 0.5f * (q1 - q2); dw[d + 5] += 0.5f * (q1 + q2) + q3;
                dw[d + 6] += u0 + 0.5f * (u1 + u2); dw[d + 7] += 0.5f * (u1 - u2); dw[d + 8] += 0.5f * (u1 + u2) + u3;
            }
        }
    }

    /**
     * Floats of {@link #inputPhases}'s and {@link #outputPhases}'s per-thread scratch for an H × W plane: eight phase
     * planes of ⌈H/2⌉ + 1 rows of ⌈W/2⌉ (the larger of the two).
     */
    public static int phaseFloats(int h, int w) {
        return 8 * ((h + 1) / 2 + 1) * ((w + 1) / 2);
    }

    /**
     * {@link #input} with vectors across all the tiles of a plane, for planes of at least one vector and 8 tiles
     * (otherwise, or with vectors off, {@link #input} itself: at 128 bits a 4 × 4 plane's single vector of tiles took
     * 1.15× the scalar transform's time). The padded plane P is first copied once into eight phase planes in
     * {@code ws} at wsOff (see {@link #phaseFloats}): C_{j,π}[ρ][tx] = P[2ρ + π][2tx + j] for the column phase j = 0..3,
     * the row parity π and ρ = 0..⌈H/2⌉ — each pixel lands in two of them. Tile s = ty·⌈W/2⌉ + tx then reads its 4 × 4
     * values d_{k,j} at C_{j, k mod 2}[s + ⌊k/2⌋·⌈W/2⌉], the same index s for every tile, so that Bᵀ d B runs lane-wise
     * over whole vectors of tiles ({@link #phaseSums}, one per row i of the result). The same operations on the same
     * values as {@link #input}: the same bits.
     */
    public static void inputPhases(float[] x, int xOff, int c0, int c1, int h, int w, float[] v, int vOff, int xiStride, int ld, int t0,
                                   float[] ws, int wsOff) {
        int th = (h + 1) / 2, tw = (w + 1) / 2, n = th * tw, p = (th + 1) * tw;   // p: floats of one phase plane
        if (!Vec.ENABLED || n < Math.max(L, 8)) {
            input(x, xOff, c0, c1, h, w, v, vOff, xiStride, ld, t0);
            return;
        }
        java.util.Arrays.fill(ws, wsOff, wsOff + 8 * p, 0f);   // the padding's places, never written below, stay zero
        int k0 = wsOff, k1 = wsOff + 4 * p, k2 = wsOff + tw, k3 = wsOff + 4 * p + tw;   // C_{0,k mod 2} shifted by ⌊k/2⌋ rows
        for (int ch = c0; ch < c1; ch++) {
            int plane = xOff + ch * h * w;
            for (int y = 0; y < h; y++) {   // padded row y + 1: parity (y + 1) mod 2, ρ = (y + 1) / 2
                int r = y + 1, dst = wsOff + (r & 1) * 4 * p + (r >> 1) * tw, src = plane + y * w;
                for (int tx = 0; tx < tw; tx++) {   // C_j[tx] = x[2tx + j − 1]: pixel 2tx to phases 1 and 3, 2tx + 1 to 2 and 0
                    float e = x[src + 2 * tx];
                    ws[dst + p + tx] = e;
                    if (tx > 0) ws[dst + 3 * p + tx - 1] = e;
                    if (2 * tx + 1 < w) {
                        float o = x[src + 2 * tx + 1];
                        ws[dst + 2 * p + tx] = o;
                        if (tx + 1 < tw) ws[dst + tx + 1] = o;
                    }
                }
            }
            int q = vOff + ch * ld + t0;
            // Bᵀ d's rows i: d0 − d2, d1 + d2, d2 − d1, d1 − d3
            phaseSums(ws, k0, k2, -1f, p, n, v, q, xiStride);
            phaseSums(ws, k1, k2, 1f, p, n, v, q + 4 * xiStride, xiStride);
            phaseSums(ws, k2, k1, -1f, p, n, v, q + 8 * xiStride, xiStride);
            phaseSums(ws, k1, k3, -1f, p, n, v, q + 12 * xiStride, xiStride);
        }
    }

    /**
     * Row i of (Bᵀ d) B over n tiles: r_j = a_j + sign·b_j with a_j, b_j the phase-j values of d's two rows at a + j·p
     * and b + j·p (sign ±1, so exactly a_j ± b_j), then the four positions j at q + j·xiStride.
     */
    private static void phaseSums(float[] ws, int a, int b, float sign, int p, int n, float[] v, int q, int xiStride) {
        int full = n - n % L, s = 0;
        for (; s < full; s += L) {
            FloatVector r0 = FloatVector.fromArray(S, ws, a + s).add(FloatVector.fromArray(S, ws, b + s).mul(sign));
            FloatVector r1 = FloatVector.fromArray(S, ws, a + p + s).add(FloatVector.fromArray(S, ws, b + p + s).mul(sign));
            FloatVector r2 = FloatVector.fromArray(S, ws, a + 2 * p + s).add(FloatVector.fromArray(S, ws, b + 2 * p + s).mul(sign));
            FloatVector r3 = FloatVector.fromArray(S, ws, a + 3 * p + s).add(FloatVector.fromArray(S, ws, b + 3 * p + s).mul(sign));
            r0.sub(r2).intoArray(v, q + s);
            r1.add(r2).intoArray(v, q + xiStride + s);
            r2.sub(r1).intoArray(v, q + 2 * xiStride + s);
            r1.sub(r3).intoArray(v, q + 3 * xiStride + s);
        }
        for (; s < n; s++) {
            float r0 = ws[a + s] + sign * ws[b + s], r1 = ws[a + p + s] + sign * ws[b + p + s];
            float r2 = ws[a + 2 * p + s] + sign * ws[b + 2 * p + s], r3 = ws[a + 3 * p + s] + sign * ws[b + 3 * p + s];
            v[q + s] = r0 - r2; v[q + xiStride + s] = r1 + r2; v[q + 2 * xiStride + s] = r2 - r1; v[q + 3 * xiStride + s] = r1 - r3;
        }
    }

    /**
     * {@link #output} with vectors across all the tiles of a plane, for planes of at least one vector and 8 tiles
     * (otherwise, or with vectors off, {@link #output} itself): Aᵀ m A's four pixels of every tile lane-wise into four tile-ordered
     * rows of {@code ws} at wsOff ({@link #outputRows}: y00, y01, then y10, y11), then copied to their places in the
     * plane. The same operations on the same values as {@link #output}: the same bits.
     */
    public static void outputPhases(float[] m, int mOff, int xiStride, int ld, int t0, int o0, int o1, int h, int w,
                                    float[] y, int yOff, boolean add, float[] ws, int wsOff) {
        int th = (h + 1) / 2, tw = (w + 1) / 2, n = th * tw;
        if (!Vec.ENABLED || n < Math.max(L, 8)) {
            output(m, mOff, xiStride, ld, t0, o0, o1, h, w, y, yOff, add);
            return;
        }
        int y00 = wsOff, y01 = y00 + n, y10 = y01 + n, y11 = y10 + n;
        for (int ch = o0; ch < o1; ch++) {
            int col = mOff + ch * ld + t0, plane = yOff + ch * h * w;
            outputRows(m, col, xiStride, 1f, n, ws, y00, y01);                  // Aᵀ's row 1: m0 + m1 + m2
            outputRows(m, col + 4 * xiStride, xiStride, -1f, n, ws, y10, y11);  // row 2: m1 − m2 − m3
            for (int ty = 0, s = 0; ty < th; ty++) {
                boolean second = 2 * ty + 1 < h;
                int row = plane + 2 * ty * w;
                for (int tx = 0; tx < tw; tx++, s++) {
                    int q = row + 2 * tx;
                    boolean right = 2 * tx + 1 < w;
                    if (add) {
                        y[q] += ws[y00 + s];
                        if (right) y[q + 1] += ws[y01 + s];
                        if (second) {
                            y[q + w] += ws[y10 + s];
                            if (right) y[q + w + 1] += ws[y11 + s];
                        }
                    } else {
                        y[q] = ws[y00 + s];
                        if (right) y[q + 1] = ws[y01 + s];
                        if (second) {
                            y[q + w] = ws[y10 + s];
                            if (right) y[q + w + 1] = ws[y11 + s];
                        }
                    }
                }
            }
        }
    }

    /**
     * One row of Aᵀ m A over n tiles: t_j = (m_{a,j} + sign·m_{a+1,j}) + sign·m_{a+2,j} over three rows of m starting at
     * a (position ξ = 4·row + j at a + ξ·xiStride), then (t0 + t1) + t2 to d0 and (t1 − t2) − t3 to d1.
     */
    private static void outputRows(float[] m, int a, int xiStride, float sign, int n, float[] ws, int d0, int d1) {
        int b = a + 4 * xiStride, c = b + 4 * xiStride, full = n - n % L, s = 0;
        for (; s < full; s += L) {
            FloatVector t0 = rowSum(m, a, b, c, sign, s);
            FloatVector t1 = rowSum(m, a + xiStride, b + xiStride, c + xiStride, sign, s);
            FloatVector t2 = rowSum(m, a + 2 * xiStride, b + 2 * xiStride, c + 2 * xiStride, sign, s);
            FloatVector t3 = rowSum(m, a + 3 * xiStride, b + 3 * xiStride, c + 3 * xiStride, sign, s);
            t0.add(t1).add(t2).intoArray(ws, d0 + s);
            t1.sub(t2).sub(t3).intoArray(ws, d1 + s);
        }
        for (; s < n; s++) {
            float t0 = m[a + s] + sign * m[b + s] + sign * m[c + s];
            float t1 = m[a + xiStride + s] + sign * m[b + xiStride + s] + sign * m[c + xiStride + s];
            float t2 = m[a + 2 * xiStride + s] + sign * m[b + 2 * xiStride + s] + sign * m[c + 2 * xiStride + s];
            float t3 = m[a + 3 * xiStride + s] + sign * m[b + 3 * xiStride + s] + sign * m[c + 3 * xiStride + s];
            ws[d0 + s] = t0 + t1 + t2;
            ws[d1 + s] = t1 - t2 - t3;
        }
    }

    private static FloatVector rowSum(float[] m, int a, int b, int c, float sign, int s) {
        return FloatVector.fromArray(S, m, a + s).add(FloatVector.fromArray(S, m, b + s).mul(sign)).add(FloatVector.fromArray(S, m, c + s).mul(sign));
    }

    private static final VectorSpecies<Float> S = Vec.F;
    private static final int L = S.length();

    private static float at(float[] x, int plane, int h, int w, int y, int xx) {
        return y >= 0 && y < h && xx >= 0 && xx < w ? x[plane + y * w + xx] : 0f;
    }

    /**
     * y ← Aᵀ m A (or y + Aᵀ m A when {@code add}) for every tile of channels o0 ≤ ch &lt; o1 of one image: m's row ch of
     * M_ξ at mOff + ξ·xiStride + ch·ld, tile (ty, tx) at column t0 + ty·⌈W/2⌉ + tx; y's plane ch (H × W) at yOff + ch·H·W,
     * only the part of a tile inside the plane written.
     */
    public static void output(float[] m, int mOff, int xiStride, int ld, int t0, int o0, int o1, int h, int w,
                              float[] y, int yOff, boolean add) {
        int th = (h + 1) / 2, tw = (w + 1) / 2;
        for (int ch = o0; ch < o1; ch++) {
            int plane = yOff + ch * h * w;
            for (int ty = 0; ty < th; ty++) {
                int col = mOff + ch * ld + t0 + ty * tw;
                boolean second = 2 * ty + 1 < h;
                for (int tx = 0; tx < tw; tx++, col++) {
                    int o = col;
                    float m00 = m[o], m01 = m[o + xiStride], m02 = m[o + 2 * xiStride], m03 = m[o + 3 * xiStride];
                    o += 4 * xiStride;
                    float m10 = m[o], m11 = m[o + xiStride], m12 = m[o + 2 * xiStride], m13 = m[o + 3 * xiStride];
                    o += 4 * xiStride;
                    float m20 = m[o], m21 = m[o + xiStride], m22 = m[o + 2 * xiStride], m23 = m[o + 3 * xiStride];
                    o += 4 * xiStride;
                    float m30 = m[o], m31 = m[o + xiStride], m32 = m[o + 2 * xiStride], m33 = m[o + 3 * xiStride];
                    // Aᵀ m: two rows
                    float a0 = m00 + m10 + m20, a1 = m01 + m11 + m21, a2 = m02 + m12 + m22, a3 = m03 + m13 + m23;
                    float b0 = m10 - m20 - m30, b1 = m11 - m21 - m31, b2 = m12 - m22 - m32, b3 = m13 - m23 - m33;
                    // (Aᵀ m) A
                    float y00 = a0 + a1 + a2, y01 = a1 - a2 - a3, y10 = b0 + b1 + b2, y11 = b1 - b2 - b3;
                    int p = plane + 2 * ty * w + 2 * tx;
                    boolean right = 2 * tx + 1 < w;
                    if (add) {
                        y[p] += y00;
                        if (right) y[p + 1] += y01;
                        if (second) {
                            y[p + w] += y10;
                            if (right) y[p + w + 1] += y11;
                        }
                    } else {
                        y[p] = y00;
                        if (right) y[p + 1] = y01;
                        if (second) {
                            y[p + w] = y10;
                            if (right) y[p + w + 1] = y11;
                        }
                    }
                }
            }
        }
    }
}
