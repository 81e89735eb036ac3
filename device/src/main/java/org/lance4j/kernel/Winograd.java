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
     * Floats of {@link #inputSplit}'s scratch: the padded plane's rows split into even and odd columns, then a tile row's
     * four row sums of each.
     */
    public static int splitFloats(int h, int w) {
        int half = (w + 1) / 2 + 1;
        return (2 * ((h + 1) / 2) + 2) * 2 * half + 8 * half;
    }

    /**
     * {@link #input} with vectors across a tile row's tiles, for planes at least one vector and 8 tiles wide (⌈W/2⌉ ≥
     * lanes and ≥ 8; otherwise, or with vectors off, {@link #input} itself). Each plane is first copied into {@code ws} at wsOff
     * ({@link #splitFloats}) with its zero padding, every row split into its even and odd padded columns E and O; tile tx
     * reads padded columns (E[tx], O[tx], E[tx + 1], O[tx + 1]). Per tile row, Bᵀ d's four row sums are taken lane-wise
     * over E and over O ({@link #rowSums}), then (Bᵀ d) B's column sums lane-wise over those at offsets 0 and 1
     * ({@link #columnSums}) — the same operations on the same values as {@link #input}, so the same bits. Small methods
     * on purpose: one method with all 32 vector loads and sums went over C2's node limit for inlining at 128 bits and
     * boxed its vectors (the threaded allocation test caught 5 MB per step).
     */
    public static void inputSplit(float[] x, int xOff, int c0, int c1, int h, int w, float[] v, int vOff, int xiStride, int ld, int t0,
                                  float[] ws, int wsOff) {
        int th = (h + 1) / 2, tw = (w + 1) / 2;
        if (!Vec.ENABLED || tw < Math.max(L, 8)) {   // (at 128 bits, 4 tiles a row: 1.26× the scalar transform's time)
            input(x, xOff, c0, c1, h, w, v, vOff, xiStride, ld, t0);
            return;
        }
        int rows = 2 * th + 2, half = tw + 1, rowLen = 2 * half;   // padded rows; E then O in each
        int sums = wsOff + rows * rowLen;                           // R_i of E (i = 0..3), then of O: 8 × half
        java.util.Arrays.fill(ws, wsOff, sums, 0f);                 // the padding (never written below) stays zero
        for (int ch = c0; ch < c1; ch++) {
            int plane = xOff + ch * h * w;
            for (int y = 0; y < h; y++) {   // padded row y + 1; padded column p = x + 1: E[i] = column 2i, O[i] = column 2i + 1
                int e = wsOff + (y + 1) * rowLen, o = e + half, src = plane + y * w;
                for (int xx = 0; xx < w; xx++) {
                    int p = xx + 1;
                    ws[((p & 1) == 0 ? e : o) + (p >> 1)] = x[src + xx];
                }
            }
            for (int ty = 0; ty < th; ty++) {
                int r0 = wsOff + 2 * ty * rowLen;   // padded rows 2ty .. 2ty + 3
                rowSums(ws, r0, rowLen, half, sums);                  // of E
                rowSums(ws, r0 + half, rowLen, half, sums + 4 * half);   // of O
                int col = vOff + ch * ld + t0 + ty * tw;
                for (int i = 0; i < 4; i++) columnSums(ws, sums + i * half, sums + (4 + i) * half, tw, v, col + 4 * i * xiStride, xiStride);
            }
        }
    }

    /** R_i (i = 0..3, at dst + i·n) ← Bᵀ's row sums of four rows (at src + k·rowLen), lane-wise over n columns. */
    private static void rowSums(float[] ws, int src, int rowLen, int n, int dst) {
        int a = src, b = a + rowLen, c = b + rowLen, e = c + rowLen, full = n - n % L, k = 0;
        for (; k < full; k += L) {
            FloatVector d0 = FloatVector.fromArray(S, ws, a + k), d1 = FloatVector.fromArray(S, ws, b + k);
            FloatVector d2 = FloatVector.fromArray(S, ws, c + k), d3 = FloatVector.fromArray(S, ws, e + k);
            d0.sub(d2).intoArray(ws, dst + k);
            d1.add(d2).intoArray(ws, dst + n + k);
            d2.sub(d1).intoArray(ws, dst + 2 * n + k);
            d1.sub(d3).intoArray(ws, dst + 3 * n + k);
        }
        for (; k < n; k++) {
            float d0 = ws[a + k], d1 = ws[b + k], d2 = ws[c + k], d3 = ws[e + k];
            ws[dst + k] = d0 - d2; ws[dst + n + k] = d1 + d2; ws[dst + 2 * n + k] = d2 - d1; ws[dst + 3 * n + k] = d1 - d3;
        }
    }

    /** One row i of (Bᵀ d) B for tw tiles from R_i of E and of O: the four positions j at q + j·xiStride. */
    private static void columnSums(float[] ws, int re, int ro, int tw, float[] v, int q, int xiStride) {
        int full = tw - tw % L, t = 0;
        for (; t < full; t += L) {
            FloatVector e0 = FloatVector.fromArray(S, ws, re + t), e1 = FloatVector.fromArray(S, ws, re + t + 1);
            FloatVector o0 = FloatVector.fromArray(S, ws, ro + t), o1 = FloatVector.fromArray(S, ws, ro + t + 1);
            e0.sub(e1).intoArray(v, q + t);
            o0.add(e1).intoArray(v, q + xiStride + t);
            e1.sub(o0).intoArray(v, q + 2 * xiStride + t);
            o0.sub(o1).intoArray(v, q + 3 * xiStride + t);
        }
        for (; t < tw; t++) {
            float e0 = ws[re + t], e1 = ws[re + t + 1], o0 = ws[ro + t], o1 = ws[ro + t + 1];
            v[q + t] = e0 - e1; v[q + xiStride + t] = o0 + e1; v[q + 2 * xiStride + t] = e1 - o0; v[q + 3 * xiStride + t] = o0 - o1;
        }
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
