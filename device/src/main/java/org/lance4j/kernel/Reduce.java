package org.lance4j.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Reductions over runs, over batch and space per channel (x is (B, C, HW)), and per plane.
 * Sums accumulate in float lanes, then fold into a double per run: the order differs from the scalar
 * reference, so tests compare with a relative tolerance.
 */
public final class Reduce {
    private static final VectorSpecies<Float> S = Vec.F;

    private Reduce() { }

    /** Σ x. */
    public static float sum(float[] x, int off, int n) {
        int i = 0;
        float s = 0f;
        int nv = n - n % S.length();
        // runs shorter than a vector never create one: a zero-trip vector accumulator escapes to the
        // lane sum and C2 keeps its box (the step allocated; see NoAllocationTest)
        if (Vec.ENABLED && nv > 0) {
            FloatVector acc = FloatVector.zero(S);
            for (; i < nv; i += S.length()) acc = acc.add(FloatVector.fromArray(S, x, off + i));
            s = Vec.sumLanes(acc);
        }
        for (; i < n; i++) s += x[off + i];
        return s;
    }

    /** Σ x·y. */
    public static float dot(float[] x, int xOff, float[] y, int yOff, int n) {
        if (Vec.ENABLED) return Gemm.dot(x, xOff, y, yOff, n);
        float s = 0f;
        for (int i = 0; i < n; i++) s += x[xOff + i] * y[yOff + i];
        return s;
    }

    /** Σ (x − c)². */
    public static float sumSqDiff(float[] x, int off, int n, float c) {
        int i = 0;
        float s = 0f;
        int nv = n - n % S.length();
        if (Vec.ENABLED && nv > 0) {
            FloatVector acc = FloatVector.zero(S), vc = FloatVector.broadcast(S, c);
            for (; i < nv; i += S.length()) {
                FloatVector d = FloatVector.fromArray(S, x, off + i).sub(vc);
                acc = d.fma(d, acc);
            }
            s = Vec.sumLanes(acc);
        }
        for (; i < n; i++) {
            float d = x[off + i] - c;
            s += d * d;
        }
        return s;
    }

    /** Scratch floats {@link #channelSum} and {@link #channelDot} need for c channels: one vector accumulator each. */
    public static int channelScratchFloats(int c) {
        return c * S.length();
    }

    /** out[c] (+)= Σ_b Σ_hw x[b, c, hw] — bias gradients, BN means; {@code lanes}: {@link #channelScratchFloats}(c) floats. */
    public static void channelSum(float[] x, int xOff, int b, int c, int hw, float[] out, int outOff, boolean acc, float[] lanes) {
        channelSum(x, xOff, b, c, hw, 0, c, out, outOff, acc, lanes);
    }

    /**
     * {@link #channelSum} for channels [c0, c1) only (out and lanes indexed by channel, as in the full call). With whole
     * vectors per plane, one vector accumulator per channel, kept in {@code lanes} between planes: the images are read
     * in memory order, image by image, each channel's run of its block in turn — the same additions in the same order
     * as one accumulator walking the channel's planes image after image, so the same bits, but a stream instead of B
     * reads a whole image apart (at 144 × 32 × 32, 576 KiB apart: every plane of a channel in the same cache sets;
     * measured alone, batch 32: 0.58 of the time there, 0.59–0.75 on 96, 64, 32 channels of 32 × 32 and 192 of 16 × 16).
     */
    public static void channelSum(float[] x, int xOff, int b, int c, int hw, int c0, int c1, float[] out, int outOff, boolean acc,
                                  float[] lanes) {
        int l = S.length();
        if (Vec.ENABLED && hw % l == 0) {
            java.util.Arrays.fill(lanes, c0 * l, c1 * l, 0f);
            for (int n = 0; n < b; n++) {
                for (int ch = c0; ch < c1; ch++) {
                    int xo = xOff + (n * c + ch) * hw;
                    FloatVector a = FloatVector.fromArray(S, lanes, ch * l);
                    for (int i = 0; i < hw; i += l) a = a.add(FloatVector.fromArray(S, x, xo + i));
                    a.intoArray(lanes, ch * l);
                }
            }
            for (int ch = c0; ch < c1; ch++) {
                float s = Vec.sumLanes(FloatVector.fromArray(S, lanes, ch * l));
                out[outOff + ch] = acc ? out[outOff + ch] + s : s;
            }
            return;
        }
        for (int ch = c0; ch < c1; ch++) {
            double s = 0;
            for (int n = 0; n < b; n++) s += sum(x, xOff + (n * c + ch) * hw, hw);
            out[outOff + ch] = (float) (acc ? out[outOff + ch] + s : s);
        }
    }

    /** out[c] (+)= Σ_b Σ_hw x[b, c, hw] · y[b, c, hw] — BN's Σ dy·xhat; {@code lanes} as {@link #channelSum}'s. */
    public static void channelDot(float[] x, int xOff, float[] y, int yOff, int b, int c, int hw, float[] out,
                                  int outOff, boolean acc, float[] lanes) {
        channelDot(x, xOff, y, yOff, b, c, hw, 0, c, out, outOff, acc, lanes);
    }

    /**
     * {@link #channelDot} for channels [c0, c1) only: with whole vectors per plane, one fused-product accumulator per
     * channel over every image, image by image in memory order as {@link #channelSum} (one lane sum per channel: a
     * lane sum per small plane cost more than the products, BN on 4 × 4 planes).
     */
    public static void channelDot(float[] x, int xOff, float[] y, int yOff, int b, int c, int hw, int c0, int c1, float[] out,
                                  int outOff, boolean acc, float[] lanes) {
        int l = S.length();
        if (Vec.ENABLED && hw % l == 0) {
            java.util.Arrays.fill(lanes, c0 * l, c1 * l, 0f);
            for (int n = 0; n < b; n++) {
                for (int ch = c0; ch < c1; ch++) {
                    int xo = xOff + (n * c + ch) * hw, yo = yOff + (n * c + ch) * hw;
                    FloatVector a = FloatVector.fromArray(S, lanes, ch * l);
                    for (int i = 0; i < hw; i += l) a = FloatVector.fromArray(S, x, xo + i).fma(FloatVector.fromArray(S, y, yo + i), a);
                    a.intoArray(lanes, ch * l);
                }
            }
            for (int ch = c0; ch < c1; ch++) {
                float s = Vec.sumLanes(FloatVector.fromArray(S, lanes, ch * l));
                out[outOff + ch] = acc ? out[outOff + ch] + s : s;
            }
            return;
        }
        for (int ch = c0; ch < c1; ch++) {
            double s = 0;
            for (int n = 0; n < b; n++) s += dot(x, xOff + (n * c + ch) * hw, y, yOff + (n * c + ch) * hw, hw);
            out[outOff + ch] = (float) (acc ? out[outOff + ch] + s : s);
        }
    }

    /**
     * {@link #channelSum} of x into sum[c] and {@link #channelDot} of x and y into dot[c] (both overwritten) for channels
     * [c0, c1), in one pass over x instead of two — BN's backward reads dy once for Σ dy and Σ dy·xhat. The same
     * accumulators in the same order as the two calls, so the same bits; {@code lanes}: 2 · {@link #channelScratchFloats}(c)
     * floats (the sums' lanes, then the products').
     */
    public static void channelSumDot(float[] x, int xOff, float[] y, int yOff, int b, int c, int hw, int c0, int c1, float[] sum,
                                     float[] dot, float[] lanes) {
        int l = S.length(), d = c * l;
        if (!(Vec.ENABLED && hw % l == 0)) {
            channelSum(x, xOff, b, c, hw, c0, c1, sum, 0, false, lanes);
            channelDot(x, xOff, y, yOff, b, c, hw, c0, c1, dot, 0, false, lanes);
            return;
        }
        java.util.Arrays.fill(lanes, c0 * l, c1 * l, 0f);
        java.util.Arrays.fill(lanes, d + c0 * l, d + c1 * l, 0f);
        for (int n = 0; n < b; n++) {
            for (int ch = c0; ch < c1; ch++) {
                int xo = xOff + (n * c + ch) * hw, yo = yOff + (n * c + ch) * hw;
                FloatVector a = FloatVector.fromArray(S, lanes, ch * l), q = FloatVector.fromArray(S, lanes, d + ch * l);
                for (int i = 0; i < hw; i += l) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + i);
                    a = a.add(v);
                    q = v.fma(FloatVector.fromArray(S, y, yo + i), q);
                }
                a.intoArray(lanes, ch * l);
                q.intoArray(lanes, d + ch * l);
            }
        }
        for (int ch = c0; ch < c1; ch++) {
            sum[ch] = Vec.sumStored(lanes, ch * l);
            dot[ch] = Vec.sumStored(lanes, d + ch * l);
        }
    }

    /** out[q] = mean of plane q, for q < planes (global average pooling). */
    public static void planeMean(float[] x, int xOff, int planes, int hw, float[] out, int outOff) {
        float inv = 1f / hw;
        for (int q = 0; q < planes; q++) out[outOff + q] = sum(x, xOff + q * hw, hw) * inv;
    }
}
