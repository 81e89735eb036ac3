package org.lance4j.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Winograd's F(4 × 4, 3 × 3) (Lavin and Gray, 2016): each 4 × 4 output tile is Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A for the
 * 6 × 6 input tile d around it (padding 1), so a 3 × 3 convolution at stride 1 costs 36 multiply-adds per tile of 16
 * pixels and input channel instead of 144: 4× fewer than im2col's GEMM, 1.78× fewer than {@link Winograd}'s F(2 × 2,
 * 3 × 3), and V and M hold 36 / 16 = 2.25 floats per pixel instead of 4. The API mirrors {@link Winograd}'s, with
 * {@link #XI} = 36 positions ξ = 6·i + j and tiles of ⌈H/4⌉ · ⌈W/4⌉; layouts are the same (U (36, rows, ld), V and M
 * (36, channels, ld), tiles in (image, tile row, tile column) order). Matrices (rows of Bᵀ, G and Aᵀ):
 * <pre>
 *   Bᵀ = [4 0 −5 0 1 0; 0 −4 −4 1 1 0; 0 4 −4 −1 1 0; 0 −2 −1 2 1 0; 0 2 −1 −2 1 0; 0 4 0 −5 0 1]
 *   G  = [¼ 0 0; −⅙ −⅙ −⅙; −⅙ ⅙ −⅙; 1/24 1/12 ⅙; 1/24 −1/12 ⅙; 0 0 1]
 *   Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 0; 0 1 1 4 4 0; 0 1 −1 8 −8 1]
 * </pre>
 * Every 2-D transform is its 1-D transform down each column, then along each row of the result, with the same float
 * operations in the same order in the scalar and the vector ({@code …Phases}) versions: the same bits.
 *
 * <p>Rounding: the interpolation points ±2 and the fractions ⅙, 1/12, 1/24 make the transforms lose more than
 * F(2 × 2, 3 × 3)'s. Measured against a direct convolution in double (64 → 64 channels, 16 × 16, outputs up to ~1.5):
 * largest errors 1.0e-5 against F(2 × 2, 3 × 3)'s 4.9e-7 and im2col's 1.4e-6; root mean squares 7.2e-7, 1.0e-7 and
 * 1.6e-7 ({@code Winograd4Test} bounds it; the gradient checks, {@code WinogradLayerTest} and, at 128 bits where
 * Conv2d takes this path on every plane, the golden state against PyTorch pass with it).
 */
public final class Winograd4 {
    private Winograd4() { }

    /** Positions in a transformed tile. */
    public static final int XI = 36;

    /** Tiles of a plane: ⌈H/4⌉·⌈W/4⌉. */
    public static int tiles(int h, int w) {
        return ((h + 3) / 4) * ((w + 3) / 4);
    }

    private static final float SIXTH = 1f / 6, TWELFTH = 1f / 12, TWENTYFOURTH = 1f / 24;

    // ---------------------------------------------------------------- 1-D transforms (scalar; the vector ones below match them)

    /** Bᵀ d for the six values d0..d5 (at d + k·s), to r + i·rs. */
    private static void bt(float[] src, int d, int s, float[] dst, int r, int rs) {
        float d0 = src[d], d1 = src[d + s], d2 = src[d + 2 * s], d3 = src[d + 3 * s], d4 = src[d + 4 * s], d5 = src[d + 5 * s];
        float t1 = d4 - 4f * d2, t2 = d3 - 4f * d1, t3 = d4 - d2, t4 = 2f * (d3 - d1);
        dst[r] = 4f * d0 - 5f * d2 + d4;
        dst[r + rs] = t1 + t2;
        dst[r + 2 * rs] = t1 - t2;
        dst[r + 3 * rs] = t3 + t4;
        dst[r + 4 * rs] = t3 - t4;
        dst[r + 5 * rs] = 4f * d1 - 5f * d3 + d5;
    }

    /** Aᵀ m for the six values m0..m5 (at m + k·s), to y + i·ys. */
    private static void at(float[] src, int m, int s, float[] dst, int y, int ys) {
        float m0 = src[m], m1 = src[m + s], m2 = src[m + 2 * s], m3 = src[m + 3 * s], m4 = src[m + 4 * s], m5 = src[m + 5 * s];
        float s12 = m1 + m2, d12 = m1 - m2, s34 = m3 + m4, d34 = m3 - m4;
        dst[y] = m0 + s12 + s34;
        dst[y + ys] = d12 + 2f * d34;
        dst[y + 2 * ys] = s12 + 4f * s34;
        dst[y + 3 * ys] = d12 + 8f * d34 + m5;
    }

    /** G g for the three values g0..g2 (at g + k·s), to u + i·us. */
    private static void gg(float[] src, int g, int s, float[] dst, int u, int us) {
        float g0 = src[g], g1 = src[g + s], g2 = src[g + 2 * s];
        dst[u] = 0.25f * g0;
        dst[u + us] = -SIXTH * (g0 + g1 + g2);
        dst[u + 2 * us] = -SIXTH * (g0 - g1 + g2);
        dst[u + 3 * us] = TWENTYFOURTH * g0 + TWELFTH * g1 + SIXTH * g2;
        dst[u + 4 * us] = TWENTYFOURTH * g0 - TWELFTH * g1 + SIXTH * g2;
        dst[u + 5 * us] = g2;
    }

    /** A y (the output transform's adjoint) for the four values y0..y3 (at y + k·s), to m + i·ms. */
    private static void aa(float[] src, int y, int s, float[] dst, int m, int ms) {
        float y0 = src[y], y1 = src[y + s], y2 = src[y + 2 * s], y3 = src[y + 3 * s];
        float s02 = y0 + y2, d13 = y1 + y3, e02 = y0 + 4f * y2, e13 = 2f * y1 + 8f * y3;
        dst[m] = y0;
        dst[m + ms] = s02 + d13;
        dst[m + 2 * ms] = s02 - d13;
        dst[m + 3 * ms] = e02 + e13;
        dst[m + 4 * ms] = e02 - e13;
        dst[m + 5 * ms] = y3;
    }

    /** Gᵀ z (the weight transform's adjoint) for the six values z0..z5 (at z + k·s), to w + i·ws. */
    private static void gt(float[] src, int z, int s, float[] dst, int w, int ws) {
        float z0 = src[z], z1 = src[z + s], z2 = src[z + 2 * s], z3 = src[z + 3 * s], z4 = src[z + 4 * s], z5 = src[z + 5 * s];
        dst[w] = 0.25f * z0 - SIXTH * (z1 + z2) + TWENTYFOURTH * (z3 + z4);
        dst[w + ws] = -SIXTH * (z1 - z2) + TWELFTH * (z3 - z4);
        dst[w + 2 * ws] = -SIXTH * (z1 + z2) + SIXTH * (z3 + z4) + z5;
    }

    /** Per-thread scratch of the scalar transforms: a tile, its half-transformed form and its result. */
    private static final ThreadLocal<float[]> TILE = ThreadLocal.withInitial(() -> new float[3 * XI]);

    // ---------------------------------------------------------------- scalar transforms

    /**
     * u[uOff + ξ·xiStride + (r − r0)·ld + q] ← (G g Gᵀ)[ξ] for rows r0 ≤ r &lt; r1, for the weights w (O, C, 3, 3) at wOff:
     * forward (flip false) row r = o, column q = c, g = w[o][c]; input gradient (flip true) row r = c, column q = o,
     * g = w[o][c] rotated by 180°.
     */
    public static void weights(float[] w, int wOff, int o, int c, boolean flip, int r0, int r1, float[] u, int uOff, int xiStride, int ld) {
        int cols = flip ? o : c;
        float[] t = TILE.get();
        for (int r = r0; r < r1; r++) {
            int dst = uOff + (r - r0) * ld;
            for (int q = 0; q < cols; q++) {
                int src = wOff + (flip ? q * c + r : r * c + q) * 9;
                for (int e = 0; e < 9; e++) t[e] = w[flip ? src + 8 - e : src + e];
                for (int b = 0; b < 3; b++) gg(t, b, 3, t, XI + b, 3);          // G g: (6, 3) at XI, row i at XI + 3i
                for (int i = 0; i < 6; i++) gg(t, XI + 3 * i, 1, t, 2 * XI + 6 * i, 1);   // (G g) Gᵀ: row i
                for (int xi = 0; xi < XI; xi++) u[dst + q + xi * xiStride] = t[2 * XI + xi];
            }
        }
    }

    /**
     * V ← Bᵀ d B for every tile of channels c0 ≤ ch &lt; c1 of one image: x's plane ch at xOff + ch·H·W, zero outside the
     * plane (padding 1); tile (ty, tx), rows 4ty − 1 .. 4ty + 4, to column t0 + ty·⌈W/4⌉ + tx of row ch of V_ξ at
     * vOff + ξ·xiStride + ch·ld.
     */
    public static void input(float[] x, int xOff, int c0, int c1, int h, int w, float[] v, int vOff, int xiStride, int ld, int t0) {
        int th = (h + 3) / 4, tw = (w + 3) / 4;
        float[] t = TILE.get();
        for (int ch = c0; ch < c1; ch++) {
            int plane = xOff + ch * h * w;
            for (int ty = 0; ty < th; ty++) {
                int col = vOff + ch * ld + t0 + ty * tw;
                for (int tx = 0; tx < tw; tx++, col++) {
                    int y0 = 4 * ty - 1, x0 = 4 * tx - 1;
                    for (int k = 0; k < 6; k++) {
                        int yy = y0 + k;
                        for (int j = 0; j < 6; j++) {
                            int xx = x0 + j;
                            t[6 * k + j] = yy >= 0 && yy < h && xx >= 0 && xx < w ? x[plane + yy * w + xx] : 0f;
                        }
                    }
                    for (int j = 0; j < 6; j++) bt(t, j, 6, t, XI + j, 6);              // Bᵀ d, column by column
                    for (int i = 0; i < 6; i++) bt(t, XI + 6 * i, 1, v, col + 6 * i * xiStride, xiStride);   // then B, row by row
                }
            }
        }
    }

    /**
     * y ← Aᵀ m A (or y + Aᵀ m A when {@code add}) for every tile of channels o0 ≤ ch &lt; o1 of one image: m's row ch of
     * M_ξ at mOff + ξ·xiStride + ch·ld, tile (ty, tx) at column t0 + ty·⌈W/4⌉ + tx; y's plane ch (H × W) at yOff + ch·H·W,
     * only the part of a tile inside the plane written.
     */
    public static void output(float[] m, int mOff, int xiStride, int ld, int t0, int o0, int o1, int h, int w,
                              float[] y, int yOff, boolean add) {
        int th = (h + 3) / 4, tw = (w + 3) / 4;
        float[] t = TILE.get();
        for (int ch = o0; ch < o1; ch++) {
            int plane = yOff + ch * h * w;
            for (int ty = 0; ty < th; ty++) {
                int col = mOff + ch * ld + t0 + ty * tw;
                for (int tx = 0; tx < tw; tx++, col++) {
                    for (int j = 0; j < 6; j++) at(m, col + j * xiStride, 6 * xiStride, t, j, 6);   // Aᵀ m: (4, 6), row i at 6i
                    for (int i = 0; i < 4; i++) at(t, 6 * i, 1, t, XI + 4 * i, 1);                  // (Aᵀ m) A: (4, 4) at XI
                    store(t, XI, y, plane, h, w, 4 * ty, 4 * tx, add);
                }
            }
        }
    }

    /** The inside part of a 4 × 4 tile (row-major at t + s) to the plane at (py, px), set or added. */
    private static void store(float[] t, int s, float[] y, int plane, int h, int w, int py, int px, boolean add) {
        int rows = Math.min(4, h - py), cols = Math.min(4, w - px);
        for (int i = 0; i < rows; i++) {
            int q = plane + (py + i) * w + px;
            for (int j = 0; j < cols; j++) {
                if (add) y[q + j] += t[s + 4 * i + j];
                else y[q + j] = t[s + 4 * i + j];
            }
        }
    }

    /**
     * The weight gradient's first factor, the output transform's adjoint: M'_ξ ← (A dy Aᵀ)[ξ] per tile, for channels
     * c0 ≤ ch &lt; c1 of one image's dY (plane ch at yOff + ch·H·W; a tile's outputs outside the plane count as 0); tile
     * (ty, tx) to column t0 + ty·⌈W/4⌉ + tx of row ch − c0 of M'_ξ at mOff + ξ·xiStride + (ch − c0)·ld. With V from
     * {@link #input}, Z_ξ = Σ_tiles M'_ξ V_ξᵀ is the gradient of U_ξ; {@link #weightsAdjoint} takes it back to 3 × 3.
     */
    public static void outputAdjoint(float[] dy, int yOff, int c0, int c1, int h, int w, float[] m, int mOff, int xiStride, int ld, int t0) {
        int th = (h + 3) / 4, tw = (w + 3) / 4;
        float[] t = TILE.get();
        for (int ch = c0; ch < c1; ch++) {
            int plane = yOff + ch * h * w;
            for (int ty = 0; ty < th; ty++) {
                int col = mOff + (ch - c0) * ld + t0 + ty * tw;
                for (int tx = 0; tx < tw; tx++, col++) {
                    for (int i = 0; i < 4; i++) {
                        int yy = 4 * ty + i;
                        for (int j = 0; j < 4; j++) {
                            int xx = 4 * tx + j;
                            t[4 * i + j] = yy < h && xx < w ? dy[plane + yy * w + xx] : 0f;
                        }
                    }
                    for (int j = 0; j < 4; j++) aa(t, j, 4, t, XI + j, 4);      // A dy: (6, 4), row k at XI + 4k
                    for (int k = 0; k < 6; k++) aa(t, XI + 4 * k, 1, m, col + 6 * k * xiStride, xiStride);   // (A dy) Aᵀ
                }
            }
        }
    }

    /**
     * dw += Gᵀ Z G, the weight transform's adjoint, for output channels r0 ≤ r &lt; r1 and every input channel q &lt; cols:
     * Z_ξ's (r, q) at zOff + ξ·xiStride + (r − r0)·ld + q; dw (O, cols, 3, 3) at dwOff.
     */
    public static void weightsAdjoint(float[] z, int zOff, int xiStride, int ld, int r0, int r1, int cols, float[] dw, int dwOff) {
        float[] t = TILE.get();
        for (int r = r0; r < r1; r++) {
            for (int q = 0; q < cols; q++) {
                int s = zOff + (r - r0) * ld + q, d = dwOff + (r * cols + q) * 9;
                for (int j = 0; j < 6; j++) gt(z, s + j * xiStride, 6 * xiStride, t, j, 6);   // Gᵀ Z: (3, 6), row a at 6a
                for (int a = 0; a < 3; a++) gt(t, 6 * a, 1, t, XI + 3 * a, 1);                 // (Gᵀ Z) G: (3, 3)
                for (int e = 0; e < 9; e++) dw[d + e] += t[XI + e];
            }
        }
    }

    // ---------------------------------------------------------------- vector transforms across the tiles of a plane

    private static final VectorSpecies<Float> S = Vec.F;
    private static final int L = S.length();

    /**
     * Floats of {@link #inputPhases}'s and {@link #outputPhases}'s per-thread scratch for an H × W plane: 24 phase
     * planes of ⌈H/4⌉ + 1 rows of ⌈W/4⌉ and 36 tile rows (the larger of the two needs: the output's 24 + 16 tile rows).
     */
    public static int phaseFloats(int h, int w) {
        int th = (h + 3) / 4, tw = (w + 3) / 4;
        return Math.max(24 * (th + 1) * tw + XI * th * tw, 40 * th * tw);
    }

    /** Whether the vector transforms serve a plane: at least one vector and 8 tiles (else the scalar ones). */
    static boolean vectorPlane(int h, int w) {
        return Vec.ENABLED && tiles(h, w) >= Math.max(L, 8);
    }

    /**
     * {@link #input} with vectors across all the tiles of a plane (for {@link #vectorPlane} planes; otherwise
     * {@link #input} itself). The padded plane P is first copied into 24 phase planes in {@code ws} at wsOff:
     * D_{j,π}[ρ][tx] = P[4ρ + π][4tx + j] for the column offset j = 0..5, the row phase π = 0..3 and ρ = 0..⌈H/4⌉, so
     * that tile s = ty·⌈W/4⌉ + tx finds its value d_{k,j} at D_{j, k mod 4}[s + ⌊k/4⌋·⌈W/4⌉], the same index s for
     * every tile; then Bᵀ d runs down each column j lane-wise over all the tiles into 36 tile rows after the phase
     * planes, and B along each row i from there into V ({@link #btRows}). The same operations on the same values as
     * {@link #input}: the same bits.
     */
    public static void inputPhases(float[] x, int xOff, int c0, int c1, int h, int w, float[] v, int vOff, int xiStride, int ld, int t0,
                                   float[] ws, int wsOff) {
        if (!vectorPlane(h, w)) {
            input(x, xOff, c0, c1, h, w, v, vOff, xiStride, ld, t0);
            return;
        }
        int th = (h + 3) / 4, tw = (w + 3) / 4, n = th * tw, p = (th + 1) * tw, r = wsOff + 24 * p;   // r: the 36 tile rows
        for (int row = 0; row < 4 * (th + 1); row++) {   // the padding's rows (x's −1 and h on): the same zeros for every channel
            if (row >= 1 && row <= h) continue;
            int dst = wsOff + (row & 3) * p + (row >> 2) * tw;
            for (int j = 0; j < 6; j++) java.util.Arrays.fill(ws, dst + 4 * j * p, dst + 4 * j * p + tw, 0f);
        }
        int inner = Math.max(1, Math.min(tw, (w - 1) / 4));   // tile columns 1 ≤ tx < inner read x's columns 4tx − 1 .. 4tx + 4, all inside
        for (int ch = c0; ch < c1; ch++) {
            int plane = xOff + ch * h * w;
            for (int yy = 0; yy < h; yy++) {   // x's row yy is padded row yy + 1; D_{j,π} at wsOff + (4j + π)·p
                int row = yy + 1, d = wsOff + (row & 3) * p + (row >> 2) * tw, src = plane + yy * w;
                edgeColumn(x, src, w, 0, ws, d, p);
                for (int tx = 1, q = src + 3; tx < inner; tx++, q += 4) {
                    ws[d + tx] = x[q];
                    ws[d + p4(1, p) + tx] = x[q + 1];
                    ws[d + p4(2, p) + tx] = x[q + 2];
                    ws[d + p4(3, p) + tx] = x[q + 3];
                    ws[d + p4(4, p) + tx] = x[q + 4];
                    ws[d + p4(5, p) + tx] = x[q + 5];
                }
                for (int tx = inner; tx < tw; tx++) edgeColumn(x, src, w, tx, ws, d, p);
            }
            for (int j = 0; j < 6; j++) {   // Bᵀ d down column j: (i, j) to tile row r + (6i + j)·n
                int b = wsOff + 4 * j * p;
                btRows(ws, b, b + p, b + 2 * p, b + 3 * p, b + tw, b + p + tw, n, ws, r + j * n, 6 * n);
            }
            int q = vOff + ch * ld + t0;
            for (int i = 0; i < 6; i++) {   // then B along row i, to V
                int b = r + 6 * i * n;
                btRows(ws, b, b + n, b + 2 * n, b + 3 * n, b + 4 * n, b + 5 * n, n, v, q + 6 * i * xiStride, xiStride);
            }
        }
    }

    /** Offset of D_{j,π} from D_{0,π}: 4j phase planes of p floats. */
    private static int p4(int j, int p) {
        return 4 * j * p;
    }

    /**
     * Tile column tx of one padded row: x's columns 4tx − 1 .. 4tx + 4 of the row at src (zero outside 0 .. w − 1) to
     * D_{j,π}[.][tx] at d + 4j·p + tx. Straight-line for the first column of a plane at least 5 wide and for a last
     * column ending one past the plane (W a multiple of 4: ResNet's planes), a loop otherwise.
     */
    private static void edgeColumn(float[] x, int src, int w, int tx, float[] ws, int d, int p) {
        int q = src + 4 * tx - 1, e = d + tx, lo = tx == 0 ? 1 : 0, hi = Math.min(6, w + 1 - 4 * tx);   // inside: lo ≤ j < hi
        if (lo == 1 && hi == 6) {
            ws[e] = 0f; ws[e + 4 * p] = x[q + 1]; ws[e + 8 * p] = x[q + 2]; ws[e + 12 * p] = x[q + 3]; ws[e + 16 * p] = x[q + 4]; ws[e + 20 * p] = x[q + 5];
        } else if (lo == 0 && hi == 5) {
            ws[e] = x[q]; ws[e + 4 * p] = x[q + 1]; ws[e + 8 * p] = x[q + 2]; ws[e + 12 * p] = x[q + 3]; ws[e + 16 * p] = x[q + 4]; ws[e + 20 * p] = 0f;
        } else {
            for (int j = 0; j < 6; j++) ws[e + 4 * j * p] = j >= lo && j < hi ? x[q + j] : 0f;
        }
    }

    /**
     * {@link #bt} on n tiles lane-wise: the six inputs of tile s at src[a0 + s] .. src[a5 + s], the result i to
     * dst[o + i·os + s]. The tail past the last whole vector by the same operations on floats.
     */
    private static void btRows(float[] src, int a0, int a1, int a2, int a3, int a4, int a5, int n, float[] dst, int o, int os) {
        int full = n - n % L, s = 0;
        for (; s < full; s += L) {
            FloatVector d0 = FloatVector.fromArray(S, src, a0 + s), d1 = FloatVector.fromArray(S, src, a1 + s);
            FloatVector d2 = FloatVector.fromArray(S, src, a2 + s), d3 = FloatVector.fromArray(S, src, a3 + s);
            FloatVector d4 = FloatVector.fromArray(S, src, a4 + s), d5 = FloatVector.fromArray(S, src, a5 + s);
            FloatVector t1 = d4.sub(d2.mul(4f)), t2 = d3.sub(d1.mul(4f)), t3 = d4.sub(d2), t4 = d3.sub(d1).mul(2f);
            d0.mul(4f).sub(d2.mul(5f)).add(d4).intoArray(dst, o + s);
            t1.add(t2).intoArray(dst, o + os + s);
            t1.sub(t2).intoArray(dst, o + 2 * os + s);
            t3.add(t4).intoArray(dst, o + 3 * os + s);
            t3.sub(t4).intoArray(dst, o + 4 * os + s);
            d1.mul(4f).sub(d3.mul(5f)).add(d5).intoArray(dst, o + 5 * os + s);
        }
        for (; s < n; s++) {
            float d0 = src[a0 + s], d1 = src[a1 + s], d2 = src[a2 + s], d3 = src[a3 + s], d4 = src[a4 + s], d5 = src[a5 + s];
            float t1 = d4 - 4f * d2, t2 = d3 - 4f * d1, t3 = d4 - d2, t4 = 2f * (d3 - d1);
            dst[o + s] = 4f * d0 - 5f * d2 + d4;
            dst[o + os + s] = t1 + t2;
            dst[o + 2 * os + s] = t1 - t2;
            dst[o + 3 * os + s] = t3 + t4;
            dst[o + 4 * os + s] = t3 - t4;
            dst[o + 5 * os + s] = 4f * d1 - 5f * d3 + d5;
        }
    }

    /** {@link #at} on n tiles lane-wise: input k of tile s at src[a + k·as + s], the result i to dst[o + i·os + s]. */
    private static void atRows(float[] src, int a, int as, int n, float[] dst, int o, int os) {
        int full = n - n % L, s = 0;
        for (; s < full; s += L) {
            FloatVector m0 = FloatVector.fromArray(S, src, a + s), m1 = FloatVector.fromArray(S, src, a + as + s);
            FloatVector m2 = FloatVector.fromArray(S, src, a + 2 * as + s), m3 = FloatVector.fromArray(S, src, a + 3 * as + s);
            FloatVector m4 = FloatVector.fromArray(S, src, a + 4 * as + s), m5 = FloatVector.fromArray(S, src, a + 5 * as + s);
            FloatVector s12 = m1.add(m2), d12 = m1.sub(m2), s34 = m3.add(m4), d34 = m3.sub(m4);
            m0.add(s12).add(s34).intoArray(dst, o + s);
            d12.add(d34.mul(2f)).intoArray(dst, o + os + s);
            s12.add(s34.mul(4f)).intoArray(dst, o + 2 * os + s);
            d12.add(d34.mul(8f)).add(m5).intoArray(dst, o + 3 * os + s);
        }
        for (; s < n; s++) {
            float m0 = src[a + s], m1 = src[a + as + s], m2 = src[a + 2 * as + s], m3 = src[a + 3 * as + s];
            float m4 = src[a + 4 * as + s], m5 = src[a + 5 * as + s];
            float s12 = m1 + m2, d12 = m1 - m2, s34 = m3 + m4, d34 = m3 - m4;
            dst[o + s] = m0 + s12 + s34;
            dst[o + os + s] = d12 + 2f * d34;
            dst[o + 2 * os + s] = s12 + 4f * s34;
            dst[o + 3 * os + s] = d12 + 8f * d34 + m5;
        }
    }

    /**
     * {@link #output} with vectors across all the tiles of a plane (for {@link #vectorPlane} planes; otherwise
     * {@link #output} itself): Aᵀ m down each column j of every tile lane-wise into 24 tile rows of {@code ws} at wsOff
     * ((i, j) at (6i + j)·n), then A along each row i into 16 pixel rows after them (pixel (i, j) of tile s at
     * wsOff + (24 + 4i + j)·n + s), copied from there to their places in the plane. The same operations on the same
     * values as {@link #output}: the same bits.
     */
    public static void outputPhases(float[] m, int mOff, int xiStride, int ld, int t0, int o0, int o1, int h, int w,
                                    float[] y, int yOff, boolean add, float[] ws, int wsOff) {
        if (!vectorPlane(h, w)) {
            output(m, mOff, xiStride, ld, t0, o0, o1, h, w, y, yOff, add);
            return;
        }
        int th = (h + 3) / 4, tw = (w + 3) / 4, n = th * tw, px = wsOff + 24 * n;
        for (int ch = o0; ch < o1; ch++) {
            int col = mOff + ch * ld + t0, plane = yOff + ch * h * w;
            for (int j = 0; j < 6; j++) atRows(m, col + j * xiStride, 6 * xiStride, n, ws, wsOff + j * n, 6 * n);
            for (int i = 0; i < 4; i++) atRows(ws, wsOff + 6 * i * n, n, n, ws, px + 4 * i * n, n);
            int whole = w / 4;   // tiles whose four columns are inside
            for (int ty = 0; ty < th; ty++) {   // pixel (4ty + i, 4tx + j) from pixel row 4i + j, tile ty·tw + tx
                int rows = Math.min(4, h - 4 * ty);
                for (int i = 0; i < rows; i++) {
                    int qy = plane + (4 * ty + i) * w, src = px + 4 * i * n + ty * tw;
                    if (add) {
                        for (int tx = 0, q = qy; tx < whole; tx++, q += 4) {
                            y[q] += ws[src + tx]; y[q + 1] += ws[src + n + tx]; y[q + 2] += ws[src + 2 * n + tx]; y[q + 3] += ws[src + 3 * n + tx];
                        }
                    } else {
                        for (int tx = 0, q = qy; tx < whole; tx++, q += 4) {
                            y[q] = ws[src + tx]; y[q + 1] = ws[src + n + tx]; y[q + 2] = ws[src + 2 * n + tx]; y[q + 3] = ws[src + 3 * n + tx];
                        }
                    }
                    for (int j = 0; whole < tw && 4 * whole + j < w; j++) {   // the last tile's columns inside the plane
                        int q = qy + 4 * whole + j, e = src + j * n + whole;
                        if (add) y[q] += ws[e];
                        else y[q] = ws[e];
                    }
                }
            }
        }
    }

    /**
     * {@link #outputAdjoint} with vectors across all the tiles of a plane (for {@link #vectorPlane} planes; otherwise
     * {@link #outputAdjoint} itself): each plane's pixels gathered into 16 tile rows of {@code ws} at wsOff (pixel (i, j)
     * of tile s at wsOff + (4i + j)·n + s, zero outside the plane), A dy down each column j lane-wise into 24 tile rows
     * after them ((k, j) at (16 + 4k + j)·n), then Aᵀ along each row k into M'. The same operations on the same values as
     * {@link #outputAdjoint}: the same bits.
     */
    public static void outputAdjointPhases(float[] dy, int yOff, int c0, int c1, int h, int w, float[] m, int mOff, int xiStride, int ld,
                                           int t0, float[] ws, int wsOff) {
        if (!vectorPlane(h, w)) {
            outputAdjoint(dy, yOff, c0, c1, h, w, m, mOff, xiStride, ld, t0);
            return;
        }
        int th = (h + 3) / 4, tw = (w + 3) / 4, n = th * tw, r = wsOff + 16 * n, whole = w / 4;
        for (int ch = c0; ch < c1; ch++) {
            int plane = yOff + ch * h * w;
            for (int ty = 0; ty < th; ty++) {   // pixel (4ty + i, 4tx + j) to pixel row 4i + j, tile ty·tw + tx
                for (int i = 0; i < 4; i++) {
                    int dst = wsOff + 4 * i * n + ty * tw;
                    if (4 * ty + i >= h) {   // rows past the plane: zeros
                        for (int j = 0; j < 4; j++) java.util.Arrays.fill(ws, dst + j * n, dst + j * n + tw, 0f);
                        continue;
                    }
                    int qy = plane + (4 * ty + i) * w;
                    for (int tx = 0, q = qy; tx < whole; tx++, q += 4) {
                        ws[dst + tx] = dy[q]; ws[dst + n + tx] = dy[q + 1]; ws[dst + 2 * n + tx] = dy[q + 2]; ws[dst + 3 * n + tx] = dy[q + 3];
                    }
                    for (int j = 0; whole < tw && j < 4; j++) {   // the last tile's columns, zero past the plane
                        ws[dst + j * n + whole] = 4 * whole + j < w ? dy[qy + 4 * whole + j] : 0f;
                    }
                }
            }
            for (int j = 0; j < 4; j++) aaRows(ws, wsOff + j * n, 4 * n, n, ws, r + j * n, 4 * n);   // A dy down column j
            int col = mOff + (ch - c0) * ld + t0;
            for (int k = 0; k < 6; k++) aaRows(ws, r + 4 * k * n, n, n, m, col + 6 * k * xiStride, xiStride);   // then along row k
        }
    }

    /** {@link #aa} on n tiles lane-wise: input i of tile s at src[a + i·as + s], the result k to dst[o + k·os + s]. */
    private static void aaRows(float[] src, int a, int as, int n, float[] dst, int o, int os) {
        int full = n - n % L, s = 0;
        for (; s < full; s += L) {
            FloatVector y0 = FloatVector.fromArray(S, src, a + s), y1 = FloatVector.fromArray(S, src, a + as + s);
            FloatVector y2 = FloatVector.fromArray(S, src, a + 2 * as + s), y3 = FloatVector.fromArray(S, src, a + 3 * as + s);
            FloatVector s02 = y0.add(y2), d13 = y1.add(y3), e02 = y0.add(y2.mul(4f)), e13 = y1.mul(2f).add(y3.mul(8f));
            y0.intoArray(dst, o + s);
            s02.add(d13).intoArray(dst, o + os + s);
            s02.sub(d13).intoArray(dst, o + 2 * os + s);
            e02.add(e13).intoArray(dst, o + 3 * os + s);
            e02.sub(e13).intoArray(dst, o + 4 * os + s);
            y3.intoArray(dst, o + 5 * os + s);
        }
        for (; s < n; s++) {
            float y0 = src[a + s], y1 = src[a + as + s], y2 = src[a + 2 * as + s], y3 = src[a + 3 * as + s];
            float s02 = y0 + y2, d13 = y1 + y3, e02 = y0 + 4f * y2, e13 = 2f * y1 + 8f * y3;
            dst[o + s] = y0;
            dst[o + os + s] = s02 + d13;
            dst[o + 2 * os + s] = s02 - d13;
            dst[o + 3 * os + s] = e02 + e13;
            dst[o + 4 * os + s] = e02 - e13;
            dst[o + 5 * os + s] = y3;
        }
    }
}
