package org.lance4j.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

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
 *
 * <p>The layer's main path is <em>channels last</em> ({@link #forwardChannelsLast}, {@link #backwardChannelsLast}):
 * a block of channels of one image is transposed to (H·W, C), and every tap becomes one vector FMA across
 * channels — full vectors on any plane size, including the 1×1 to 4×4 planes at the end of MobileNetV2 at
 * 32 px, where the per-plane paths above ran short scalar loops (a third of a step's profile). The
 * per-plane functions remain for LANCE's reduced-channel weight gradient and as the scalar references.
 */
public final class Depthwise {
    private static final VectorSpecies<Float> S = Vec.F;
    private static final int L = S.length();

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

    /** Whether a plane takes the phase-plane vector path: vectors on and an output of at least {@link #PHASED_MIN_OUTPUT}. */
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

    // ---------------------------------------------------------------- channels-last vector path

    /** Workspace floats of the channels-last kernels for a block of c channels: x or dx (H·W, c) twice, y or dy (OH·OW, c), two (K·K, c). */
    public static long channelsLastFloats(int c, int h, int w, int k, int s, int p) {
        long ohw = (long) Im2col.outSize(h, k, s, p) * Im2col.outSize(w, k, s, p);
        return (long) c * (2L * h * w + ohw + 2L * k * k);
    }

    /**
     * y(c, OH, OW) = x(c, H, W) ⋆ w(c, K, K), channel by channel, for a block of c channels of one image
     * (x, y and w at the block's offsets), through channels-last copies in the workspace.
     */
    public static void forwardChannelsLast(float[] x, int xOff, int c, int h, int w, float[] wt, int wOff, int k, int s, int p,
                                           float[] y, int yOff, float[] ws, int wsOff) {
        int oh = Im2col.outSize(h, k, s, p), ow = Im2col.outSize(w, k, s, p), hw = h * w, kk = k * k;
        int xt = wsOff, yt = xt + hw * c, wT = yt + oh * ow * c;   // (H·W, c), (OH·OW, c), (K·K, c)
        Transpose.transpose(x, xOff, c, hw, ws, xt);
        Transpose.transpose(wt, wOff, c, kk, ws, wT);
        int cv = c - c % L;
        for (int oy = 0; oy < oh; oy++) {
            int i0 = Math.max(0, p - oy * s), i1 = Math.min(k, h + p - oy * s);
            for (int ox = 0; ox < ow; ox++) {
                int j0 = Math.max(0, p - ox * s), j1 = Math.min(k, w + p - ox * s);
                int o = yt + (oy * ow + ox) * c;
                int base = xt + ((oy * s - p) * w + ox * s - p) * c;   // x(iy, ix) = base + (i·W + j)·c
                // one flat loop over the valid taps: a vector accumulator carried through nested loops with
                // variable trip counts stays boxed (allocates) in C2
                int taps = (i1 - i0) * Math.max(0, j1 - j0);
                for (int c0 = 0; c0 < cv; c0 += L) {
                    FloatVector acc = FloatVector.zero(S);
                    for (int t = 0, i = i0, j = j0; t < taps; t++) {
                        acc = FloatVector.fromArray(S, ws, wT + (i * k + j) * c + c0)
                                .fma(FloatVector.fromArray(S, ws, base + (i * w + j) * c + c0), acc);
                        if (++j == j1) {
                            j = j0;
                            i++;
                        }
                    }
                    acc.intoArray(ws, o + c0);
                }
                for (int ch = cv; ch < c; ch++) {
                    float acc = 0f;
                    for (int i = i0; i < i1; i++) for (int j = j0; j < j1; j++) acc += ws[wT + (i * k + j) * c + ch] * ws[base + (i * w + j) * c + ch];
                    ws[o + ch] = acc;
                }
            }
        }
        Transpose.transpose(ws, yt, oh * ow, c, y, yOff);
    }

    /**
     * Backward of {@link #forwardChannelsLast} for a block of c channels of one image: dw(c, K, K) += Σ dy ⋆ x
     * (when dw is non-null) and dx(c, H, W) += the transposed convolution of dy (when dx is non-null).
     */
    public static void backwardChannelsLast(float[] x, int xOff, float[] dy, int dyOff, int c, int h, int w, float[] wt, int wOff,
                                            int k, int s, int p, float[] dw, int dwOff, float[] dx, int dxOff, float[] ws, int wsOff) {
        int oh = Im2col.outSize(h, k, s, p), ow = Im2col.outSize(w, k, s, p), hw = h * w, kk = k * k, ohw = oh * ow;
        int xt = wsOff, dxt = xt + hw * c, dyt = dxt + hw * c, wT = dyt + ohw * c, acc = wT + kk * c;   // (H·W, c) ×2, (OH·OW, c), (K·K, c) ×2
        int cv = c - c % L;
        Transpose.transpose(dy, dyOff, c, ohw, ws, dyt);
        if (dw != null) {
            // per tap and block of channels, one accumulator over every output position
            Transpose.transpose(x, xOff, c, hw, ws, xt);
            for (int i = 0; i < k; i++) {
                for (int j = 0; j < k; j++) {
                    int oy0 = Math.max(0, ceilDiv(p - i, s)), oy1 = Math.min(oh, ceilDiv(h + p - i, s));
                    int ox0 = Math.max(0, ceilDiv(p - j, s)), ox1 = Math.min(ow, ceilDiv(w + p - j, s));
                    int t = acc + (i * k + j) * c;
                    int outs = Math.max(0, oy1 - oy0) * Math.max(0, ox1 - ox0);
                    for (int c0 = 0; c0 < cv; c0 += L) {
                        FloatVector a = FloatVector.zero(S);   // one flat loop over the outputs (see forward)
                        for (int q = 0, oy = oy0, ox = ox0; q < outs; q++) {
                            a = FloatVector.fromArray(S, ws, dyt + (oy * ow + ox) * c + c0)
                                    .fma(FloatVector.fromArray(S, ws, xt + ((oy * s + i - p) * w + ox * s + j - p) * c + c0), a);
                            if (++ox == ox1) {
                                ox = ox0;
                                oy++;
                            }
                        }
                        a.intoArray(ws, t + c0);
                    }
                    for (int ch = cv; ch < c; ch++) {
                        float a = 0f;
                        for (int oy = oy0; oy < oy1; oy++) {
                            for (int ox = ox0; ox < ox1; ox++) {
                                a += ws[dyt + (oy * ow + ox) * c + ch] * ws[xt + ((oy * s + i - p) * w + ox * s + j - p) * c + ch];
                            }
                        }
                        ws[t + ch] = a;
                    }
                }
            }
            for (int ch = 0; ch < c; ch++) for (int t = 0; t < kk; t++) dw[dwOff + ch * kk + t] += ws[acc + t * c + ch];
        }
        if (dx == null) return;
        Transpose.transpose(wt, wOff, c, kk, ws, wT);
        java.util.Arrays.fill(ws, dxt, dxt + hw * c, 0f);
        for (int oy = 0; oy < oh; oy++) {
            int i0 = Math.max(0, p - oy * s), i1 = Math.min(k, h + p - oy * s);
            for (int ox = 0; ox < ow; ox++) {
                int j0 = Math.max(0, p - ox * s), j1 = Math.min(k, w + p - ox * s);
                int g = dyt + (oy * ow + ox) * c;
                int base = dxt + ((oy * s - p) * w + ox * s - p) * c;
                for (int i = i0; i < i1; i++) {
                    for (int j = j0; j < j1; j++) {
                        int d = base + (i * w + j) * c, wr = wT + (i * k + j) * c;
                        int c0 = 0;
                        for (; c0 < cv; c0 += L) {
                            FloatVector.fromArray(S, ws, wr + c0).fma(FloatVector.fromArray(S, ws, g + c0), FloatVector.fromArray(S, ws, d + c0))
                                    .intoArray(ws, d + c0);
                        }
                        for (; c0 < c; c0++) ws[d + c0] += ws[wr + c0] * ws[g + c0];
                    }
                }
            }
        }
        Transpose.transpose(ws, dxt, hw, c, ws, xt);   // (c, H·W), over x's copy, no longer needed
        Elementwise.axpy(1f, ws, xt, dx, dxOff, c * hw);
    }
}
