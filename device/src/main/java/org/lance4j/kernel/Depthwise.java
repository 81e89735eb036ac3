package org.lance4j.kernel;


/**
 * Direct depthwise convolution on one channel plane (no im2col). Legend: H, W = input size,
 * K = kernel, S = stride, P = padding, OH, OW = output size. x (H, W), w (K, K), y (OH, OW).
 *
 * <p>The vector path works on <em>phase planes</em> in a workspace: the zero-padded input is split
 * into S² planes (row phase a, column phase b) of (HPH + 1, WPH) with HPH = ⌈(H + 2P)/S⌉,
 * WPH = ⌈(W + 2P)/S⌉, so that tap (i, j) reads phase (i mod S, j mod S) at a constant offset
 * (i div S)·WPH + j div S for every output. The output is computed in (OH, WPH) "wide" rows whose
 * columns ≥ OW are scratch; each of the K² taps is then one contiguous axpy (or dot product) over the
 * whole plane instead of one short run per row, and stride 2 needs no gathers. Workspace:
 * {@link #workspaceFloats}.
 */
public final class Depthwise {
    private Depthwise() { }

    /** Workspace floats the vector path needs for one plane: phases, their gradient and a wide output plane. */
    public static int workspaceFloats(int h, int w, int k, int s, int p) {
        int hph = ceilDiv(h + 2 * p, s), wph = ceilDiv(w + 2 * p, s);
        int oh = Im2col.outSize(h, k, s, p);
        return 2 * s * s * (hph + 1) * wph + oh * wph;
    }

    /**
     * Planes whose output is smaller than this many elements take the direct scalar loops: on the
     * 1×1 to 7×7 planes at the end of MobileNetV2-like nets, splitting into phase planes and running
     * K² short axpys costs more than the arithmetic (seen as most of a step's profile at 32 px).
     */
    static final int PHASED_MIN_OUTPUT = 64;

    private static boolean phased(int h, int w, int k, int s, int p) {
        return Vec.ENABLED && Im2col.outSize(h, k, s, p) * Im2col.outSize(w, k, s, p) >= PHASED_MIN_OUTPUT;
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    /** y(OH, OW) = x(H, W) ⋆ w(K, K), overwriting y. */
    public static void forward(float[] x, int xOff, int h, int w, float[] wt, int wOff, int k, int s, int p,
                               float[] y, int yOff, float[] ws, int wsOff) {
        if (phased(h, w, k, s, p)) forwardPhased(x, xOff, h, w, wt, wOff, k, s, p, y, yOff, ws, wsOff);
        else forwardScalar(x, xOff, h, w, wt, wOff, k, s, p, y, yOff);
    }

    /** dw(K, K) += Σ dy(OH, OW) · x shifted by each tap. */
    public static void backwardWeight(float[] x, int xOff, int h, int w, float[] dy, int dyOff, int k, int s, int p,
                                      float[] dw, int dwOff, float[] ws, int wsOff) {
        if (phased(h, w, k, s, p)) backwardWeightPhased(x, xOff, h, w, dy, dyOff, k, s, p, dw, dwOff, ws, wsOff);
        else backwardWeightScalar(x, xOff, h, w, dy, dyOff, k, s, p, dw, dwOff);
    }

    /** dx(H, W) += transposed convolution of dy(OH, OW) with w(K, K). */
    public static void backwardInput(float[] dy, int dyOff, int h, int w, float[] wt, int wOff, int k, int s, int p,
                                     float[] dx, int dxOff, float[] ws, int wsOff) {
        if (phased(h, w, k, s, p)) backwardInputPhased(dy, dyOff, h, w, wt, wOff, k, s, p, dx, dxOff, ws, wsOff);
        else backwardInputScalar(dy, dyOff, h, w, wt, wOff, k, s, p, dx, dxOff);
    }

    public static void forwardScalar(float[] x, int xOff, int h, int w, float[] wt, int wOff, int k, int s, int p,
                                     float[] y, int yOff) {
        int oh = Im2col.outSize(h, k, s, p), ow = Im2col.outSize(w, k, s, p);
        for (int oy = 0; oy < oh; oy++) {
            for (int ox = 0; ox < ow; ox++) {
                float acc = 0f;
                for (int i = 0; i < k; i++) {
                    int iy = oy * s + i - p;
                    if (iy < 0 || iy >= h) continue;
                    for (int j = 0; j < k; j++) {
                        int ix = ox * s + j - p;
                        if (ix < 0 || ix >= w) continue;
                        acc += wt[wOff + i * k + j] * x[xOff + iy * w + ix];
                    }
                }
                y[yOff + oy * ow + ox] = acc;
            }
        }
    }

    public static void backwardWeightScalar(float[] x, int xOff, int h, int w, float[] dy, int dyOff, int k, int s,
                                            int p, float[] dw, int dwOff) {
        int oh = Im2col.outSize(h, k, s, p), ow = Im2col.outSize(w, k, s, p);
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < k; j++) {
                float acc = 0f;
                for (int oy = 0; oy < oh; oy++) {
                    int iy = oy * s + i - p;
                    if (iy < 0 || iy >= h) continue;
                    for (int ox = 0; ox < ow; ox++) {
                        int ix = ox * s + j - p;
                        if (ix < 0 || ix >= w) continue;
                        acc += dy[dyOff + oy * ow + ox] * x[xOff + iy * w + ix];
                    }
                }
                dw[dwOff + i * k + j] += acc;
            }
        }
    }

    public static void backwardInputScalar(float[] dy, int dyOff, int h, int w, float[] wt, int wOff, int k, int s,
                                           int p, float[] dx, int dxOff) {
        int oh = Im2col.outSize(h, k, s, p), ow = Im2col.outSize(w, k, s, p);
        for (int oy = 0; oy < oh; oy++) {
            for (int ox = 0; ox < ow; ox++) {
                float g = dy[dyOff + oy * ow + ox];
                for (int i = 0; i < k; i++) {
                    int iy = oy * s + i - p;
                    if (iy < 0 || iy >= h) continue;
                    for (int j = 0; j < k; j++) {
                        int ix = ox * s + j - p;
                        if (ix < 0 || ix >= w) continue;
                        dx[dxOff + iy * w + ix] += wt[wOff + i * k + j] * g;
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------- phase-plane vector path

    /** Writes the S² zero-padded phase planes of x into ws: phase (a, b) at ws + (a·S + b)·(HPH + 1)·WPH. */
    static void toPhases(float[] x, int xOff, int h, int w, int s, int p, int hph, int wph, float[] ws, int wsOff) {
        int plane = (hph + 1) * wph;
        java.util.Arrays.fill(ws, wsOff, wsOff + s * s * plane, 0f);
        for (int a = 0; a < s; a++) {
            for (int r = 0; r < hph; r++) {
                int iy = r * s + a - p;
                if (iy < 0 || iy >= h) continue;
                int src = xOff + iy * w;
                for (int b = 0; b < s; b++) {
                    int dst = wsOff + (a * s + b) * plane + r * wph;
                    int c0 = Im2col.firstValid(b, s, p), c1 = Im2col.endValid(b, s, p, w, wph);
                    if (s == 1) {
                        if (c1 > c0) System.arraycopy(x, src + c0 - p, ws, dst + c0, c1 - c0);
                    } else {
                        for (int c = c0; c < c1; c++) ws[dst + c] = x[src + c * s + b - p];
                    }
                }
            }
        }
    }

    static void forwardPhased(float[] x, int xOff, int h, int w, float[] wt, int wOff, int k, int s, int p,
                              float[] y, int yOff, float[] ws, int wsOff) {
        int hph = ceilDiv(h + 2 * p, s), wph = ceilDiv(w + 2 * p, s), plane = (hph + 1) * wph;
        int oh = Im2col.outSize(h, k, s, p), ow = Im2col.outSize(w, k, s, p);
        int wide = wsOff + 2 * s * s * plane;   // (OH, WPH)
        toPhases(x, xOff, h, w, s, p, hph, wph, ws, wsOff);
        java.util.Arrays.fill(ws, wide, wide + oh * wph, 0f);
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < k; j++) {
                int src = wsOff + ((i % s) * s + j % s) * plane + (i / s) * wph + j / s;
                Elementwise.axpy(wt[wOff + i * k + j], ws, src, ws, wide, oh * wph);
            }
        }
        for (int oy = 0; oy < oh; oy++) System.arraycopy(ws, wide + oy * wph, y, yOff + oy * ow, ow);
    }

    static void backwardWeightPhased(float[] x, int xOff, int h, int w, float[] dy, int dyOff, int k, int s, int p,
                                     float[] dw, int dwOff, float[] ws, int wsOff) {
        int hph = ceilDiv(h + 2 * p, s), wph = ceilDiv(w + 2 * p, s), plane = (hph + 1) * wph;
        int oh = Im2col.outSize(h, k, s, p), ow = Im2col.outSize(w, k, s, p);
        int wide = wsOff + 2 * s * s * plane;   // dy in (OH, WPH) with zero scratch columns
        toPhases(x, xOff, h, w, s, p, hph, wph, ws, wsOff);
        java.util.Arrays.fill(ws, wide, wide + oh * wph, 0f);
        for (int oy = 0; oy < oh; oy++) System.arraycopy(dy, dyOff + oy * ow, ws, wide + oy * wph, ow);
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < k; j++) {
                int src = wsOff + ((i % s) * s + j % s) * plane + (i / s) * wph + j / s;
                dw[dwOff + i * k + j] += Gemm.dot(ws, wide, ws, src, oh * wph);
            }
        }
    }

    static void backwardInputPhased(float[] dy, int dyOff, int h, int w, float[] wt, int wOff, int k, int s, int p,
                                    float[] dx, int dxOff, float[] ws, int wsOff) {
        int hph = ceilDiv(h + 2 * p, s), wph = ceilDiv(w + 2 * p, s), plane = (hph + 1) * wph;
        int oh = Im2col.outSize(h, k, s, p), ow = Im2col.outSize(w, k, s, p);
        int dph = wsOff + s * s * plane;        // gradient of the phase planes
        int wide = wsOff + 2 * s * s * plane;   // dy in (OH, WPH) with zero scratch columns
        java.util.Arrays.fill(ws, dph, dph + s * s * plane, 0f);
        java.util.Arrays.fill(ws, wide, wide + oh * wph, 0f);
        for (int oy = 0; oy < oh; oy++) System.arraycopy(dy, dyOff + oy * ow, ws, wide + oy * wph, ow);
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < k; j++) {
                int dst = dph + ((i % s) * s + j % s) * plane + (i / s) * wph + j / s;
                Elementwise.axpy(wt[wOff + i * k + j], ws, wide, ws, dst, oh * wph);
            }
        }
        // fold the phases back onto dx (padding positions are dropped)
        for (int a = 0; a < s; a++) {
            for (int r = 0; r < hph; r++) {
                int iy = r * s + a - p;
                if (iy < 0 || iy >= h) continue;
                int d = dxOff + iy * w;
                for (int b = 0; b < s; b++) {
                    int src = dph + (a * s + b) * plane + r * wph;
                    int c0 = Im2col.firstValid(b, s, p), c1 = Im2col.endValid(b, s, p, w, wph);
                    if (s == 1) {
                        if (c1 > c0) Elementwise.axpy(1f, ws, src + c0, dx, d + c0 - p, c1 - c0);
                    } else {
                        for (int c = c0; c < c1; c++) dx[d + c * s + b - p] += ws[src + c];
                    }
                }
            }
        }
    }
}
