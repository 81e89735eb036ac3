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

    /** out[c] (+)= Σ_b Σ_hw x[b, c, hw] — bias gradients, BN means. */
    public static void channelSum(float[] x, int xOff, int b, int c, int hw, float[] out, int outOff, boolean acc) {
        channelSum(x, xOff, b, c, hw, 0, c, out, outOff, acc);
    }

    /** {@link #channelSum} for channels [c0, c1) only (out indexed by channel, as in the full call). */
    public static void channelSum(float[] x, int xOff, int b, int c, int hw, int c0, int c1, float[] out, int outOff, boolean acc) {
        if (Vec.ENABLED && hw % S.length() == 0) {   // as channelDot
            int total = b * (hw / S.length()), stride = c * hw;
            for (int ch = c0; ch < c1; ch++) {
                FloatVector a = FloatVector.zero(S);
                for (int q = 0, i = 0, xo = xOff + ch * hw; q < total; q++) {
                    a = a.add(FloatVector.fromArray(S, x, xo + i));
                    if ((i += S.length()) == hw) {
                        i = 0;
                        xo += stride;
                    }
                }
                float s = Vec.sumLanes(a);
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

    /** out[c] (+)= Σ_b Σ_hw x[b, c, hw] · y[b, c, hw] — BN's Σ dy·xhat. */
    public static void channelDot(float[] x, int xOff, float[] y, int yOff, int b, int c, int hw, float[] out,
                                  int outOff, boolean acc) {
        channelDot(x, xOff, y, yOff, b, c, hw, 0, c, out, outOff, acc);
    }

    /** {@link #channelDot} for channels [c0, c1) only. */
    public static void channelDot(float[] x, int xOff, float[] y, int yOff, int b, int c, int hw, int c0, int c1, float[] out,
                                  int outOff, boolean acc) {
        if (Vec.ENABLED && hw % S.length() == 0) {
            // whole vectors per plane: one accumulator over all images, one lane sum per channel (a lane sum per
            // small plane cost more than the products: BN on 4 × 4 planes)
            // one flat loop over the channel's vectors in every image: an accumulator carried through two nested
            // loops stays boxed in C2 (the step allocated)
            int total = b * (hw / S.length()), stride = c * hw;
            for (int ch = c0; ch < c1; ch++) {
                FloatVector a = FloatVector.zero(S);
                for (int q = 0, i = 0, xo = xOff + ch * hw, yo = yOff + ch * hw; q < total; q++) {
                    a = FloatVector.fromArray(S, x, xo + i).fma(FloatVector.fromArray(S, y, yo + i), a);
                    if ((i += S.length()) == hw) {
                        i = 0;
                        xo += stride;
                        yo += stride;
                    }
                }
                float s = Vec.sumLanes(a);
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

    /** out[q] = mean of plane q, for q < planes (global average pooling). */
    public static void planeMean(float[] x, int xOff, int planes, int hw, float[] out, int outOff) {
        float inv = 1f / hw;
        for (int q = 0; q < planes; q++) out[outOff + q] = sum(x, xOff + q * hw, hw) * inv;
    }
}
