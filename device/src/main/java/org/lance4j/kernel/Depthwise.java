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
 * whole plane instead of one short run per row. Workspace: {@link #workspaceFloats}. A 3 × 3 kernel at stride 2, or
 * at stride 1 on rows of whole pairs of vectors, takes the <em>sampled</em> kernels instead ({@link #forwardSampled}
 * and its backward; when: {@link #sampled}): the padded input rows are read contiguously at every stride-1 position and
 * every S-th result kept — at stride 2 twice the arithmetic, but none of the phase split's scalar gathers, which cost
 * more than the taps — two chains of FMAs per step, and dX as a correlation over dy spread onto the stride-1 grid.
 *
 * <p>The layer's main path is <em>channels last</em> ({@link #forwardChannelsLast}, {@link #backwardChannelsLast}):
 * a block of channels of one image is transposed to (H·W, C), and every tap becomes one vector FMA across
 * channels — full vectors on any plane size, including the 1×1 to 4×4 planes at the end of MobileNetV2 at
 * 32 px, where the per-plane paths above ran short scalar loops (a third of a step's profile); at stride 2 below
 * 8 × 8 outputs for a 3 × 3 kernel, up to 16 × 16 for others ({@code Conv2d.depthwiseChannelsLast}). The per-plane functions also serve LANCE's reduced-channel weight gradient, and the scalar ones
 * are the references.
 */
public final class Depthwise {
    private static final VectorSpecies<Float> S = Vec.F;
    private static final int L = S.length();

    private Depthwise() { }

    /**
     * Workspace floats the vector path needs for one plane: phases, their gradient, a wide output plane and the weight
     * gradient's stored accumulators ({@link #SUM_FLOATS}), or the sampled kernels' ({@link #sampledFloats}).
     */
    public static int workspaceFloats(int h, int w, int k, int s, int p) {
        int hph = ceilDiv(h + 2 * p, s), wph = ceilDiv(w + 2 * p, s);
        int oh = Im2col.outSize(h, k, s, p);
        return Math.max(2 * s * s * (hph + 1) * wph + oh * wph + SUM_FLOATS, k == 3 && s <= 2 ? sampledFloats(h, w, s, p) : 0);
    }

    /**
     * Floats of the five stored accumulators of {@link #dots5} and {@link #sampledDots}: they store their sums and add
     * the lanes with {@link Vec#sumStored} rather than pass vectors to {@link Vec#sumLanes}, which C2 did not always
     * inline — the threaded allocation test caught {@code sampledDots} allocating 55 KB per step in about one run of
     * ten, even after 20 s of warm-up (five sums of 16 lanes in one method; the two-pass split of the nine taps was not
     * always enough).
     */
    static final int SUM_FLOATS = 5 * L;

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
        forward(x, xOff, h, w, wt, wOff, k, s, p, y, yOff, ws, wsOff, false);
    }

    /**
     * {@link #forward}; with {@code warm} the caller promises, as for {@link #backward}, that ws at wsOff holds what this
     * method left there for the previous plane of the same geometry: the sampled kernel's padded plane keeps its zero
     * border, and only the rows are copied in. The same values, bit for bit.
     */
    public static void forward(float[] x, int xOff, int h, int w, float[] wt, int wOff, int k, int s, int p,
                               float[] y, int yOff, float[] ws, int wsOff, boolean warm) {
        if (sampled(h, w, k, s, p)) forwardSampled(x, xOff, h, w, wt, wOff, s, p, y, yOff, ws, wsOff, warm);
        else if (phased(h, w, k, s, p)) forwardPhased(x, xOff, h, w, wt, wOff, k, s, p, y, yOff, ws, wsOff);
        else forwardScalar(x, xOff, h, w, wt, wOff, k, s, p, y, yOff);
    }

    /** dw(K, K) += Σ dy(OH, OW) · x shifted by each tap. */
    public static void backwardWeight(float[] x, int xOff, int h, int w, float[] dy, int dyOff, int k, int s, int p,
                                      float[] dw, int dwOff, float[] ws, int wsOff) {
        if (sampled(h, w, k, s, p)) backwardWeightSampled(x, xOff, h, w, dy, dyOff, s, p, dw, dwOff, ws, wsOff, false);
        else if (phased(h, w, k, s, p)) backwardWeightPhased(x, xOff, h, w, dy, dyOff, k, s, p, dw, dwOff, ws, wsOff);
        else backwardWeightScalar(x, xOff, h, w, dy, dyOff, k, s, p, dw, dwOff);
    }

    /** dx(H, W) += transposed convolution of dy(OH, OW) with w(K, K). */
    public static void backwardInput(float[] dy, int dyOff, int h, int w, float[] wt, int wOff, int k, int s, int p,
                                     float[] dx, int dxOff, float[] ws, int wsOff) {
        if (sampled(h, w, k, s, p)) backwardInputSampled(dy, dyOff, h, w, wt, wOff, s, p, dx, dxOff, ws, wsOff, false, false);
        else if (phased(h, w, k, s, p)) backwardInputPhased(dy, dyOff, h, w, wt, wOff, k, s, p, dx, dxOff, ws, wsOff);
        else backwardInputScalar(dy, dyOff, h, w, wt, wOff, k, s, p, dx, dxOff);
    }

    /**
     * Both gradients of one plane: {@link #backwardWeight} into dw when it is non-null, then {@link #backwardInput} into dx when
     * it is non-null — the same values, bit for bit. The sampled 3 × 3 kernels spread dy once for both, and with {@code warm}
     * the caller promises that ws at wsOff still holds what this method left there for the previous plane of the same
     * geometry (h, w, k, s, p; nothing written over it since): the padded plane's border and the spread grid's zeros are then
     * not written again, only the values that change. For a layer's planes one after another on one thread (the first
     * one not warm); on MobileNetV2's 16 × 16 planes the fills were a third of the work.
     */
    public static void backward(float[] x, int xOff, float[] dy, int dyOff, int h, int w, float[] wt, int wOff, int k, int s, int p,
                                float[] dw, int dwOff, float[] dx, int dxOff, float[] ws, int wsOff, boolean warm) {
        if (sampled(h, w, k, s, p)) {
            if (dw != null) backwardWeightSampled(x, xOff, h, w, dy, dyOff, s, p, dw, dwOff, ws, wsOff, warm);
            if (dx != null) backwardInputSampled(dy, dyOff, h, w, wt, wOff, s, p, dx, dxOff, ws, wsOff, dw != null, warm);
            return;
        }
        if (dw != null) backwardWeight(x, xOff, h, w, dy, dyOff, k, s, p, dw, dwOff, ws, wsOff);
        if (dx != null) backwardInput(dy, dyOff, h, w, wt, wOff, k, s, p, dx, dxOff, ws, wsOff);
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
        toPhases(x, xOff, h, w, s, p, hph, wph, ws, wsOff, false);
    }

    /**
     * {@link #toPhases}; with {@code warm} the phase planes at wsOff were last written by this method for a plane of the
     * same geometry, so their padding is still zero and only x's values are copied in (the same positions every time).
     */
    static void toPhases(float[] x, int xOff, int h, int w, int s, int p, int hph, int wph, float[] ws, int wsOff, boolean warm) {
        int plane = (hph + 1) * wph;
        if (!warm) java.util.Arrays.fill(ws, wsOff, wsOff + s * s * plane, 0f);
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
        if (k == 3) {
            taps3(wt, wOff, s, wsOff, plane, wph, ws, wide, oh * wph);
        } else {
            java.util.Arrays.fill(ws, wide, wide + oh * wph, 0f);
            for (int i = 0; i < k; i++) {
                for (int j = 0; j < k; j++) {
                    int src = wsOff + ((i % s) * s + j % s) * plane + (i / s) * wph + j / s;
                    Elementwise.axpy(wt[wOff + i * k + j], ws, src, ws, wide, oh * wph);
                }
            }
        }
        for (int oy = 0; oy < oh; oy++) System.arraycopy(ws, wide + oy * wph, y, yOff + oy * ow, ow);
    }

    /** Offset in the phase planes of tap (i, j): phase (i mod S, j mod S), shifted by (i div S, j div S). */
    private static int tap(int i, int j, int s, int wsOff, int plane, int wph) {
        return wsOff + ((i % s) * s + j % s) * plane + (i / s) * wph + j / s;
    }

    /**
     * The 3 × 3 forward in one pass: wide[q] = Σ taps w(i, j) · phase(i, j)[q], the nine products accumulated in a
     * register per vector — the same fused multiply-adds, in the same tap order, as nine {@link Elementwise#axpy}
     * passes over a zeroed wide plane (and the tail's separate multiply and add as axpy's tail), so the same bits,
     * with one store per vector instead of nine loads and stores of the accumulator.
     */
    static void taps3(float[] wt, int wOff, int s, int wsOff, int plane, int wph, float[] ws, int wide, int n) {
        int o0 = tap(0, 0, s, wsOff, plane, wph), o1 = tap(0, 1, s, wsOff, plane, wph), o2 = tap(0, 2, s, wsOff, plane, wph);
        int o3 = tap(1, 0, s, wsOff, plane, wph), o4 = tap(1, 1, s, wsOff, plane, wph), o5 = tap(1, 2, s, wsOff, plane, wph);
        int o6 = tap(2, 0, s, wsOff, plane, wph), o7 = tap(2, 1, s, wsOff, plane, wph), o8 = tap(2, 2, s, wsOff, plane, wph);
        float w0 = wt[wOff], w1 = wt[wOff + 1], w2 = wt[wOff + 2], w3 = wt[wOff + 3], w4 = wt[wOff + 4];
        float w5 = wt[wOff + 5], w6 = wt[wOff + 6], w7 = wt[wOff + 7], w8 = wt[wOff + 8];
        int q = 0;
        if (Vec.ENABLED) {
            FloatVector v0 = FloatVector.broadcast(S, w0), v1 = FloatVector.broadcast(S, w1), v2 = FloatVector.broadcast(S, w2);
            FloatVector v3 = FloatVector.broadcast(S, w3), v4 = FloatVector.broadcast(S, w4), v5 = FloatVector.broadcast(S, w5);
            FloatVector v6 = FloatVector.broadcast(S, w6), v7 = FloatVector.broadcast(S, w7), v8 = FloatVector.broadcast(S, w8);
            int nv = n - n % L;
            for (; q < nv; q += L) {
                FloatVector a = v0.fma(FloatVector.fromArray(S, ws, o0 + q), FloatVector.zero(S));
                a = v1.fma(FloatVector.fromArray(S, ws, o1 + q), a);
                a = v2.fma(FloatVector.fromArray(S, ws, o2 + q), a);
                a = v3.fma(FloatVector.fromArray(S, ws, o3 + q), a);
                a = v4.fma(FloatVector.fromArray(S, ws, o4 + q), a);
                a = v5.fma(FloatVector.fromArray(S, ws, o5 + q), a);
                a = v6.fma(FloatVector.fromArray(S, ws, o6 + q), a);
                a = v7.fma(FloatVector.fromArray(S, ws, o7 + q), a);
                v8.fma(FloatVector.fromArray(S, ws, o8 + q), a).intoArray(ws, wide + q);
            }
        }
        for (; q < n; q++) {
            float a = 0f;
            a += w0 * ws[o0 + q]; a += w1 * ws[o1 + q]; a += w2 * ws[o2 + q];
            a += w3 * ws[o3 + q]; a += w4 * ws[o4 + q]; a += w5 * ws[o5 + q];
            a += w6 * ws[o6 + q]; a += w7 * ws[o7 + q]; a += w8 * ws[o8 + q];
            ws[wide + q] = a;
        }
    }

    static void backwardWeightPhased(float[] x, int xOff, int h, int w, float[] dy, int dyOff, int k, int s, int p,
                                     float[] dw, int dwOff, float[] ws, int wsOff) {
        int hph = ceilDiv(h + 2 * p, s), wph = ceilDiv(w + 2 * p, s), plane = (hph + 1) * wph;
        int oh = Im2col.outSize(h, k, s, p), ow = Im2col.outSize(w, k, s, p);
        int wide = wsOff + 2 * s * s * plane;   // dy in (OH, WPH) with zero scratch columns
        toPhases(x, xOff, h, w, s, p, hph, wph, ws, wsOff);
        java.util.Arrays.fill(ws, wide, wide + oh * wph, 0f);
        for (int oy = 0; oy < oh; oy++) System.arraycopy(dy, dyOff + oy * ow, ws, wide + oy * wph, ow);
        if (k == 3) {
            dots3(ws, wide, s, wsOff, plane, wph, oh * wph, dw, dwOff, wide + oh * wph);   // the sums after the wide plane
            return;
        }
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < k; j++) {
                int src = wsOff + ((i % s) * s + j % s) * plane + (i / s) * wph + j / s;
                dw[dwOff + i * k + j] += Gemm.dot(ws, wide, ws, src, oh * wph);
            }
        }
    }

    /**
     * The 3 × 3 weight gradient in one pass: dw(i, j) += dy · phase(i, j), nine dot products sharing each load of
     * dy — each accumulated exactly as {@link Gemm#dot} does (a vector of fused products, its lane sum, then the
     * tail's separate products and adds), so the same bits as nine calls, with dy read once instead of nine times.
     */
    static void dots3(float[] ws, int dyw, int s, int wsOff, int plane, int wph, int n, float[] dw, int dwOff, int sums) {
        // two passes (five taps, then four): nine sums of 16 lanes in one method went over C2's node limit for inlining
        // (NodeCountInliningCutoff) at 512 bits and left one out of line, its vector boxed — 86 KiB allocated per
        // training step on an AVX-512 machine (Zen 5); dy is read twice instead of once
        dots5(ws, dyw, n, tap(0, 0, s, wsOff, plane, wph), tap(0, 1, s, wsOff, plane, wph), tap(0, 2, s, wsOff, plane, wph),
                tap(1, 0, s, wsOff, plane, wph), tap(1, 1, s, wsOff, plane, wph), 5, dw, dwOff, sums);
        int o8 = tap(2, 2, s, wsOff, plane, wph);
        dots5(ws, dyw, n, tap(1, 2, s, wsOff, plane, wph), tap(2, 0, s, wsOff, plane, wph), tap(2, 1, s, wsOff, plane, wph),
                o8, o8, 4, dw, dwOff + 5, sums);
    }

    /**
     * dw[dwOff + t] += dy · ws[o_t ..] for the first {@code taps} (4 or 5) of five offsets, each as {@link Gemm#dot} computes
     * it; the accumulators stored at ws[sums ..] ({@link #SUM_FLOATS}) and their lanes summed from there.
     */
    private static void dots5(float[] ws, int dyw, int n, int o0, int o1, int o2, int o3, int o4, int taps, float[] dw, int dwOff, int sums) {
        int n1 = n - n % L, q = 0;   // as Gemm.dot (which does not look at Vec.ENABLED either)
        float r0 = 0f, r1 = 0f, r2 = 0f, r3 = 0f, r4 = 0f;
        if (n1 > 0) {   // as Gemm.dot: no vector for short runs
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, a4 = a0;
            for (; q < n1; q += L) {
                FloatVector g = FloatVector.fromArray(S, ws, dyw + q);
                a0 = g.fma(FloatVector.fromArray(S, ws, o0 + q), a0);
                a1 = g.fma(FloatVector.fromArray(S, ws, o1 + q), a1);
                a2 = g.fma(FloatVector.fromArray(S, ws, o2 + q), a2);
                a3 = g.fma(FloatVector.fromArray(S, ws, o3 + q), a3);
                a4 = g.fma(FloatVector.fromArray(S, ws, o4 + q), a4);
            }
            a0.intoArray(ws, sums); a1.intoArray(ws, sums + L); a2.intoArray(ws, sums + 2 * L);
            a3.intoArray(ws, sums + 3 * L); a4.intoArray(ws, sums + 4 * L);
            r0 = Vec.sumStored(ws, sums); r1 = Vec.sumStored(ws, sums + L); r2 = Vec.sumStored(ws, sums + 2 * L);
            r3 = Vec.sumStored(ws, sums + 3 * L); r4 = Vec.sumStored(ws, sums + 4 * L);
        }
        for (; q < n; q++) {
            float g = ws[dyw + q];
            r0 += g * ws[o0 + q]; r1 += g * ws[o1 + q]; r2 += g * ws[o2 + q];
            r3 += g * ws[o3 + q]; r4 += g * ws[o4 + q];
        }
        dw[dwOff] += r0; dw[dwOff + 1] += r1; dw[dwOff + 2] += r2; dw[dwOff + 3] += r3;
        if (taps == 5) dw[dwOff + 4] += r4;
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

    // ---------------------------------------------------------------- sampled vector path (3 × 3, stride 1 or 2)
    //
    // Layout of one plane in the workspace (no object per call: the step allocates nothing):
    //   xp (HP, WQ)  the input zero-padded, HP = H + 2P, WQ ≥ W + 2P wide enough for a row's vectors and taps;
    //   u  (HU, WU)  dy spread onto the stride-1 grid: dy(oy, ox) at (oy·S + 2, ox·S + 2), zeros elsewhere, HU = HP + 2;
    //   wide         the output rows at every stride-1 position, (OH, NV), or one input row's gradient (NVX).
    // NV: the stride-1 positions an output row spans, NVX: an input row's, both rounded up to two vectors.

    private static int twoVectors(int n) {
        return (n + 2 * L - 1) / (2 * L) * (2 * L);
    }

    private static int sampledNv(int w, int s, int p) {
        return twoVectors((Im2col.outSize(w, 3, s, p) - 1) * s + 1);
    }

    private static int sampledWq(int w, int s, int p) {
        return Math.max(w + 2 * p, sampledNv(w, s, p) + 2);
    }

    private static int sampledWu(int w, int s, int p) {
        return Math.max(w + 2 * p, Math.max(twoVectors(w) + p, sampledNv(w, s, p))) + 2;
    }

    /** Workspace floats of the sampled 3 × 3 kernels for one plane: xp, u and the wide rows, then the stored sums ({@link #SUM_FLOATS}). */
    static int sampledFloats(int h, int w, int s, int p) {
        int hp = h + 2 * p;
        return hp * sampledWq(w, s, p) + (hp + 2) * sampledWu(w, s, p)
                + Math.max(Im2col.outSize(h, 3, s, p) * sampledNv(w, s, p), twoVectors(w)) + SUM_FLOATS;
    }

    /**
     * Whether a plane takes the sampled kernels rather than the phase planes: vectors on, an output of at least
     * {@link #PHASED_MIN_OUTPUT}, a 3 × 3 kernel, and stride 2 — or stride 1 on rows of whole pairs of vectors (32 × 32,
     * 16 × 16 planes at 8 lanes). Measured per plane path, 64 channels, medians of 31 (µs, forward / backward, phase
     * planes vs sampled, two runs): stride 1 on 32 × 32 103–109 / 304–307 vs 51–52 / 147–169, on 16 × 16 43–46 / 99–145
     * vs 32–37 / 89–103; stride 2 on 32 × 32 156–168 / 212–349 vs 75–76 / 241–250, on 16 × 16 31–55 / 73–129 vs 17–27 /
     * 56–88. Where a first, any-kernel version lost: stride 1 on 10 × 10 to 14 × 14 (rows padded to two vectors: 15–45 %
     * slower) and 5 × 5 or 7 × 7 kernels (backward up to 2.4× slower in a generic tap loop) — those stay on the phase planes.
     */
    private static boolean sampled(int h, int w, int k, int s, int p) {
        return Vec.ENABLED && k == 3 && (s == 2 || (s == 1 && w % (2 * L) == 0))
                && Im2col.outSize(h, k, s, p) * Im2col.outSize(w, k, s, p) >= PHASED_MIN_OUTPUT;
    }

    /**
     * ws(H + 2P, wq) at xp ← x zero-padded: only the border is zeroed, the rows copied a vector at a time; {@code warm}: the
     * border is still zero from the previous plane (see {@link #backward}), only the rows are copied.
     */
    private static void toPadded(float[] x, int xOff, int h, int w, int p, int wq, float[] ws, int xp, boolean warm) {
        if (!warm) java.util.Arrays.fill(ws, xp, xp + p * wq + p, 0f);
        int wv = w - w % L;
        for (int r = 0; r < h; r++) {
            int d = xp + (r + p) * wq + p, src = xOff + r * w, i = 0;
            for (; i < wv; i += L) FloatVector.fromArray(S, x, src + i).intoArray(ws, d + i);
            for (; i < w; i++) ws[d + i] = x[src + i];
            // this row's right border and the next row's left one
            if (!warm) java.util.Arrays.fill(ws, d + w, d + wq, 0f);
        }
        if (!warm) java.util.Arrays.fill(ws, xp + (h + p) * wq + p, xp + (h + 2 * p) * wq, 0f);
    }

    /**
     * ws(HU, wu) at u ← dy(OH, OW) spread onto the stride-1 grid: dy(oy, ox) at (oy·S + 2, ox·S + 2), zeros elsewhere;
     * {@code warm}: the zeros are still there from the previous plane (see {@link #backward}), only dy's values are written.
     */
    private static void toSpread(float[] dy, int dyOff, int oh, int ow, int s, int hu, int wu, float[] ws, int u, boolean warm) {
        if (!warm) java.util.Arrays.fill(ws, u, u + hu * wu, 0f);
        for (int oy = 0; oy < oh; oy++) {
            int d = u + (oy * s + 2) * wu + 2, src = dyOff + oy * ow;
            if (s == 1) System.arraycopy(dy, src, ws, d, ow);
            else for (int ox = 0; ox < ow; ox++) ws[d + ox * s] = dy[src + ox];
        }
    }

    /**
     * y(OH, OW) = x(H, W) ⋆ w(3, 3) at stride 1 or 2 without gathering the input: each output row is computed at every
     * stride-1 position of its padded input rows (nine vector FMAs per vector of positions, the taps in (i, j) order from
     * zero, as {@link #taps3} and the channels-last kernel sum them), and every S-th value is kept. At stride 2 twice the
     * arithmetic of the output, but contiguous loads: the stride-2 layers of MobileNetV2 at 32 px spent most of their
     * time in the channels-last path's transposes and the phase planes' scalar gathers. A padding tap adds w·0 (the
     * channels-last and scalar kernels skip it): the same value, up to the sign of a zero. Two vectors per step: two
     * chains of nine dependent FMAs (one chain left the core waiting on FMA latency, 2× slower measured alone).
     */
    static void forwardSampled(float[] x, int xOff, int h, int w, float[] wt, int wOff, int s, int p,
                               float[] y, int yOff, float[] ws, int wsOff, boolean warm) {
        int oh = Im2col.outSize(h, 3, s, p), ow = Im2col.outSize(w, 3, s, p);
        int nv = sampledNv(w, s, p), wq = sampledWq(w, s, p), hp = h + 2 * p;
        int xp = wsOff, wide = xp + hp * wq + (hp + 2) * sampledWu(w, s, p), n = oh * nv;
        toPadded(x, xOff, h, w, p, wq, ws, xp, warm);
        FloatVector v0 = FloatVector.broadcast(S, wt[wOff]), v1 = FloatVector.broadcast(S, wt[wOff + 1]), v2 = FloatVector.broadcast(S, wt[wOff + 2]);
        FloatVector v3 = FloatVector.broadcast(S, wt[wOff + 3]), v4 = FloatVector.broadcast(S, wt[wOff + 4]), v5 = FloatVector.broadcast(S, wt[wOff + 5]);
        FloatVector v6 = FloatVector.broadcast(S, wt[wOff + 6]), v7 = FloatVector.broadcast(S, wt[wOff + 7]), v8 = FloatVector.broadcast(S, wt[wOff + 8]);
        for (int t = 0, oy = 0, q = 0; t < n; t += 2 * L) {   // flat over (oy, q): NV is a multiple of two vectors
            int r0 = xp + oy * s * wq + q, r1 = r0 + wq, r2 = r1 + wq;
            FloatVector a = v0.fma(FloatVector.fromArray(S, ws, r0), FloatVector.zero(S));
            FloatVector b = v0.fma(FloatVector.fromArray(S, ws, r0 + L), FloatVector.zero(S));
            a = v1.fma(FloatVector.fromArray(S, ws, r0 + 1), a);
            b = v1.fma(FloatVector.fromArray(S, ws, r0 + L + 1), b);
            a = v2.fma(FloatVector.fromArray(S, ws, r0 + 2), a);
            b = v2.fma(FloatVector.fromArray(S, ws, r0 + L + 2), b);
            a = v3.fma(FloatVector.fromArray(S, ws, r1), a);
            b = v3.fma(FloatVector.fromArray(S, ws, r1 + L), b);
            a = v4.fma(FloatVector.fromArray(S, ws, r1 + 1), a);
            b = v4.fma(FloatVector.fromArray(S, ws, r1 + L + 1), b);
            a = v5.fma(FloatVector.fromArray(S, ws, r1 + 2), a);
            b = v5.fma(FloatVector.fromArray(S, ws, r1 + L + 2), b);
            a = v6.fma(FloatVector.fromArray(S, ws, r2), a);
            b = v6.fma(FloatVector.fromArray(S, ws, r2 + L), b);
            a = v7.fma(FloatVector.fromArray(S, ws, r2 + 1), a);
            b = v7.fma(FloatVector.fromArray(S, ws, r2 + L + 1), b);
            v8.fma(FloatVector.fromArray(S, ws, r2 + 2), a).intoArray(ws, wide + t);
            v8.fma(FloatVector.fromArray(S, ws, r2 + L + 2), b).intoArray(ws, wide + t + L);
            if ((q += 2 * L) == nv) {
                q = 0;
                oy++;
            }
        }
        for (int oy = 0; oy < oh; oy++) {
            int src = wide + oy * nv, o = yOff + oy * ow;
            if (s == 1) System.arraycopy(ws, src, y, o, ow);
            else for (int ox = 0; ox < ow; ox++) y[o + ox] = ws[src + ox * s];
        }
    }

    /**
     * dw(3, 3) += Σ dy ⋆ x ({@link #forwardSampled}'s weight gradient): dy spread onto the stride-1 grid with zeros
     * between, then nine vector dot products over the output rows against the padded input, sharing each load of dy.
     */
    static void backwardWeightSampled(float[] x, int xOff, int h, int w, float[] dy, int dyOff, int s, int p,
                                      float[] dw, int dwOff, float[] ws, int wsOff, boolean warm) {
        int oh = Im2col.outSize(h, 3, s, p), ow = Im2col.outSize(w, 3, s, p), hp = h + 2 * p;
        int nv = sampledNv(w, s, p), wq = sampledWq(w, s, p), wu = sampledWu(w, s, p);
        int xp = wsOff, u = xp + hp * wq, n = oh * (nv / L);
        toPadded(x, xOff, h, w, p, wq, ws, xp, warm);
        toSpread(dy, dyOff, oh, ow, s, hp + 2, wu, ws, u, warm);
        // two passes (five taps, then four), as dots3 and for the same reason: nine sums of 16 lanes in one method went
        // over C2's node limit for inlining at 512 bits and left a vector boxed (a training step allocated)
        int sums = wsOff + sampledFloats(h, w, s, p) - SUM_FLOATS;
        sampledDots(ws, u, xp, s, wq, wu, nv, n, 0, 1, 2, wq, wq + 1, 5, dw, dwOff, sums);
        sampledDots(ws, u, xp, s, wq, wu, nv, n, wq + 2, 2 * wq, 2 * wq + 1, 2 * wq + 2, 2 * wq + 2, 4, dw, dwOff + 5, sums);
    }

    /**
     * dw[dwOff + t] += Σ dy · x at tap offset k_t (i·wq + j from a row's start) for the first {@code taps} (4 or 5) of five
     * taps, over the padded plane at xp and the spread dy at u ({@link #backwardWeightSampled}); the accumulators stored at
     * ws[sums ..] and their lanes summed from there (see {@link #SUM_FLOATS}).
     */
    private static void sampledDots(float[] ws, int u, int xp, int s, int wq, int wu, int nv, int n, int k0, int k1, int k2, int k3, int k4,
                                    int taps, float[] dw, int dwOff, int sums) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, a4 = a0;
        for (int t = 0, oy = 0, q = 0; t < n; t++) {
            int gi = u + (oy * s + 2) * wu + 2 + q, r0 = xp + oy * s * wq + q;
            FloatVector d = FloatVector.fromArray(S, ws, gi);
            a0 = d.fma(FloatVector.fromArray(S, ws, r0 + k0), a0);
            a1 = d.fma(FloatVector.fromArray(S, ws, r0 + k1), a1);
            a2 = d.fma(FloatVector.fromArray(S, ws, r0 + k2), a2);
            a3 = d.fma(FloatVector.fromArray(S, ws, r0 + k3), a3);
            a4 = d.fma(FloatVector.fromArray(S, ws, r0 + k4), a4);
            if ((q += L) == nv) {
                q = 0;
                oy++;
            }
        }
        a0.intoArray(ws, sums); a1.intoArray(ws, sums + L); a2.intoArray(ws, sums + 2 * L);
        a3.intoArray(ws, sums + 3 * L); a4.intoArray(ws, sums + 4 * L);
        dw[dwOff] += Vec.sumStored(ws, sums); dw[dwOff + 1] += Vec.sumStored(ws, sums + L); dw[dwOff + 2] += Vec.sumStored(ws, sums + 2 * L);
        dw[dwOff + 3] += Vec.sumStored(ws, sums + 3 * L);
        if (taps == 5) dw[dwOff + 4] += Vec.sumStored(ws, sums + 4 * L);
    }

    /**
     * dx(H, W) += the transposed convolution of dy: dy spread onto the stride-1 grid (zeros between), then per input row
     * a correlation with the flipped kernel — at stride 2 only over the tap rows that meet a spread row of dy (row 1
     * alone, or rows 0 and 2; the others would add only zeros) — the taps in (i, j) order from zero, added onto dx as
     * computed when W is a multiple of two vectors, else through the wide row. Two vectors per step (see forward).
     */
    static void backwardInputSampled(float[] dy, int dyOff, int h, int w, float[] wt, int wOff, int s, int p,
                                     float[] dx, int dxOff, float[] ws, int wsOff, boolean spread, boolean warm) {
        int oh = Im2col.outSize(h, 3, s, p), ow = Im2col.outSize(w, 3, s, p), hp = h + 2 * p;
        int wu = sampledWu(w, s, p), nvx = twoVectors(w);
        int u = wsOff + hp * sampledWq(w, s, p), wide = u + (hp + 2) * wu;
        if (!spread) toSpread(dy, dyOff, oh, ow, s, hp + 2, wu, ws, u, warm);   // spread: done by the weight gradient just before
        FloatVector v0 = FloatVector.broadcast(S, wt[wOff]), v1 = FloatVector.broadcast(S, wt[wOff + 1]), v2 = FloatVector.broadcast(S, wt[wOff + 2]);
        FloatVector v3 = FloatVector.broadcast(S, wt[wOff + 3]), v4 = FloatVector.broadcast(S, wt[wOff + 4]), v5 = FloatVector.broadcast(S, wt[wOff + 5]);
        FloatVector v6 = FloatVector.broadcast(S, wt[wOff + 6]), v7 = FloatVector.broadcast(S, wt[wOff + 7]), v8 = FloatVector.broadcast(S, wt[wOff + 8]);
        boolean direct = w == nvx;
        for (int iy = 0; iy < h; iy++) for (int q = 0; q < nvx; q += 2 * L) {
            // tap (i, j) reads spread row iy + P − i + 2 from column P − j + 2 on
            int c = u + (iy + p + 2) * wu + p + 2 + q, o = direct ? dxOff + iy * w + q : wide + q;
            float[] out = direct ? dx : ws;
            FloatVector a, b;
            if (s == 1 || ((iy + p) & 1) == 0) {   // tap rows 0 (and 1 at stride 1) and 2
                a = v0.fma(FloatVector.fromArray(S, ws, c), FloatVector.zero(S));
                b = v0.fma(FloatVector.fromArray(S, ws, c + L), FloatVector.zero(S));
                a = v1.fma(FloatVector.fromArray(S, ws, c - 1), a);
                b = v1.fma(FloatVector.fromArray(S, ws, c + L - 1), b);
                a = v2.fma(FloatVector.fromArray(S, ws, c - 2), a);
                b = v2.fma(FloatVector.fromArray(S, ws, c + L - 2), b);
                if (s == 1) {
                    int r1 = c - wu;
                    a = v3.fma(FloatVector.fromArray(S, ws, r1), a);
                    b = v3.fma(FloatVector.fromArray(S, ws, r1 + L), b);
                    a = v4.fma(FloatVector.fromArray(S, ws, r1 - 1), a);
                    b = v4.fma(FloatVector.fromArray(S, ws, r1 + L - 1), b);
                    a = v5.fma(FloatVector.fromArray(S, ws, r1 - 2), a);
                    b = v5.fma(FloatVector.fromArray(S, ws, r1 + L - 2), b);
                }
                int r2 = c - 2 * wu;
                a = v6.fma(FloatVector.fromArray(S, ws, r2), a);
                b = v6.fma(FloatVector.fromArray(S, ws, r2 + L), b);
                a = v7.fma(FloatVector.fromArray(S, ws, r2 - 1), a);
                b = v7.fma(FloatVector.fromArray(S, ws, r2 + L - 1), b);
                a = v8.fma(FloatVector.fromArray(S, ws, r2 - 2), a);
                b = v8.fma(FloatVector.fromArray(S, ws, r2 + L - 2), b);
            } else {   // stride 2, odd spread row: tap row 1 alone
                int r1 = c - wu;
                a = v3.fma(FloatVector.fromArray(S, ws, r1), FloatVector.zero(S));
                b = v3.fma(FloatVector.fromArray(S, ws, r1 + L), FloatVector.zero(S));
                a = v4.fma(FloatVector.fromArray(S, ws, r1 - 1), a);
                b = v4.fma(FloatVector.fromArray(S, ws, r1 + L - 1), b);
                a = v5.fma(FloatVector.fromArray(S, ws, r1 - 2), a);
                b = v5.fma(FloatVector.fromArray(S, ws, r1 + L - 2), b);
            }
            if (direct) {
                FloatVector.fromArray(S, out, o).add(a).intoArray(out, o);
                FloatVector.fromArray(S, out, o + L).add(b).intoArray(out, o + L);
            } else {
                a.intoArray(out, o);
                b.intoArray(out, o + L);
                if (q + 2 * L == nvx) Elementwise.add(dx, dxOff + iy * w, ws, wide, dx, dxOff + iy * w, w);
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
     * out[0, 4·lanes) ← Σ over the taps of a[·]·b[·] lane-wise, four vectors of channels side by side (four independent
     * chains): tap (r, q) of a rows × cols rectangle at a + r·ar + q·aq and b + r·br + q·bq, taken row by row in one flat
     * loop. Small methods on purpose: the vectors live and die here, so they are compiled (and kept unboxed) by C2 on
     * their own, whatever tier the large kernel calling them runs at — with these loops inline, a depthwise backward still
     * on C1 code, or an OSR version, boxed its accumulators (the threaded allocation test: 11.5 KB per step, when it ran
     * first in its JVM).
     */
    private static void tapSums4(float[] ws, int a, int ar, int aq, int b, int br, int bq, int rows, int cols, int out) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
        int taps = rows * cols;
        for (int t = 0, r = 0, q = 0; t < taps; t++) {
            int ai = a + r * ar + q * aq, bi = b + r * br + q * bq;
            a0 = FloatVector.fromArray(S, ws, ai).fma(FloatVector.fromArray(S, ws, bi), a0);
            a1 = FloatVector.fromArray(S, ws, ai + L).fma(FloatVector.fromArray(S, ws, bi + L), a1);
            a2 = FloatVector.fromArray(S, ws, ai + 2 * L).fma(FloatVector.fromArray(S, ws, bi + 2 * L), a2);
            a3 = FloatVector.fromArray(S, ws, ai + 3 * L).fma(FloatVector.fromArray(S, ws, bi + 3 * L), a3);
            if (++q == cols) {
                q = 0;
                r++;
            }
        }
        a0.intoArray(ws, out);
        a1.intoArray(ws, out + L);
        a2.intoArray(ws, out + 2 * L);
        a3.intoArray(ws, out + 3 * L);
    }

    /** {@link #tapSums4} for one vector of channels. */
    private static void tapSums(float[] ws, int a, int ar, int aq, int b, int br, int bq, int rows, int cols, int out) {
        FloatVector acc = FloatVector.zero(S);
        int taps = rows * cols;
        for (int t = 0, r = 0, q = 0; t < taps; t++) {
            acc = FloatVector.fromArray(S, ws, a + r * ar + q * aq).fma(FloatVector.fromArray(S, ws, b + r * br + q * bq), acc);
            if (++q == cols) {
                q = 0;
                r++;
            }
        }
        acc.intoArray(ws, out);
    }

    /** ws[d + i] ← fma(ws[a + i], ws[b + i], ws[d + i]) lane-wise for i &lt; n (a multiple of the lanes). */
    private static void fmaInto(float[] ws, int a, int b, int d, int n) {
        for (int i = 0; i < n; i += L) {
            FloatVector.fromArray(S, ws, a + i).fma(FloatVector.fromArray(S, ws, b + i), FloatVector.fromArray(S, ws, d + i)).intoArray(ws, d + i);
        }
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
                int rows = i1 - i0, cols = Math.max(0, j1 - j0);
                int wi = wT + (i0 * k + j0) * c, xi = base + (i0 * w + j0) * c;
                int c0 = 0;
                // four blocks of channels at a time: four independent accumulator chains per tap instead of one (a chain
                // of nine dependent FMAs per block left the core waiting on FMA latency) — each output still sums its
                // taps in the same order
                for (; c0 + 4 * L <= cv; c0 += 4 * L) tapSums4(ws, wi + c0, k * c, c, xi + c0, w * c, c, rows, cols, o + c0);
                for (; c0 < cv; c0 += L) tapSums(ws, wi + c0, k * c, c, xi + c0, w * c, c, rows, cols, o + c0);
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
                    int rows = Math.max(0, oy1 - oy0), cols = Math.max(0, ox1 - ox0);
                    int gi = dyt + (oy0 * ow + ox0) * c, xi = xt + ((oy0 * s + i - p) * w + ox0 * s + j - p) * c;
                    int c0 = 0;
                    // four independent chains (see forward), each in output order
                    for (; c0 + 4 * L <= cv; c0 += 4 * L) tapSums4(ws, gi + c0, ow * c, c, xi + c0, s * w * c, s * c, rows, cols, t + c0);
                    for (; c0 < cv; c0 += L) tapSums(ws, gi + c0, ow * c, c, xi + c0, s * w * c, s * c, rows, cols, t + c0);
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
                        fmaInto(ws, wr, g, d, cv);
                        for (int c0 = cv; c0 < c; c0++) ws[d + c0] += ws[wr + c0] * ws[g + c0];
                    }
                }
            }
        }
        Transpose.transpose(ws, dxt, hw, c, ws, xt);   // (c, H·W), over x's copy, no longer needed
        Elementwise.axpy(1f, ws, xt, dx, dxOff, c * hw);
    }
}
