package org.lance4j.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;
import org.lance4j.testutil.Assert;
import org.lance4j.testutil.Rnd;

/** Reductions against double-precision sums; softmax cross-entropy vector vs scalar vs definition. */
class ReduceAndLossTest {
    /** Float lane sums of up to ~1000 values in [−1, 1). */
    static final double SUM_ATOL = 2e-5;
    static final double SUM_RTOL = 1e-5;
    static final double LOSS_TOL = 1e-6;

    @Test
    void reductionsMatchDoubleSums() {
        Rnd r = new Rnd(9);
        int cases = 0;
        for (int b : new int[] {1, 2, 3}) {
            for (int c : new int[] {1, 3, 5}) {
                for (int hw : new int[] {1, 3, 8, 9, 17, 49, 64, 100}) {
                    float[] x = r.uniform(1 + b * c * hw), y = r.uniform(1 + b * c * hw);
                    float[] s = new float[c], d = new float[c], sr = new float[c], dr = new float[c];
                    float[] lanes = r.uniform(Reduce.channelScratchFloats(c));   // garbage must not leak in
                    Reduce.channelSum(x, 1, b, c, hw, s, 0, false, lanes);
                    Reduce.channelDot(x, 1, y, 1, b, c, hw, d, 0, false, lanes);
                    for (int ch = 0; ch < c; ch++) {
                        double ss = 0, dd = 0;
                        for (int n = 0; n < b; n++) {
                            for (int q = 0; q < hw; q++) {
                                int i = 1 + (n * c + ch) * hw + q;
                                ss += x[i];
                                dd += (double) x[i] * y[i];
                            }
                        }
                        sr[ch] = (float) ss;
                        dr[ch] = (float) dd;
                    }
                    Assert.close("channelSum", sr, s, SUM_ATOL, SUM_RTOL);
                    Assert.close("channelDot", dr, d, SUM_ATOL, SUM_RTOL);
                    float[] acc = sr.clone();
                    Reduce.channelSum(x, 1, b, c, hw, acc, 0, true, lanes);
                    for (int ch = 0; ch < c; ch++) sr[ch] *= 2;
                    Assert.close("channelSum accumulate", sr, acc, 2 * SUM_ATOL, SUM_RTOL);
                    float[] mean = new float[b * c], meanRef = new float[b * c];
                    Reduce.planeMean(x, 1, b * c, hw, mean, 0);
                    for (int q = 0; q < b * c; q++) {
                        double m = 0;
                        for (int i = 0; i < hw; i++) m += x[1 + q * hw + i];
                        meanRef[q] = (float) (m / hw);
                    }
                    Assert.close("planeMean", meanRef, mean, SUM_ATOL, SUM_RTOL);
                    double sq = 0;
                    for (int i = 0; i < hw; i++) sq += (x[i] - 0.3) * (x[i] - 0.3);
                    assertEquals(sq, Reduce.sumSqDiff(x, 0, hw, 0.3f), SUM_ATOL + SUM_RTOL * sq, "sumSqDiff");
                    cases++;
                }
            }
        }
        assertEquals(72, cases);
    }

    /**
     * The channel sums read image by image in memory order give, per channel, the bits of one accumulator walking that
     * channel's planes image after image (the order they had before) — for the whole tensor and for two channel ranges
     * (two threads' parts), with garbage in the scratch; planes that are not whole vectors take per-plane double sums.
     */
    @Test
    void channelSumsInMemoryOrderKeepEachChannelsOrder() {
        Rnd r = new Rnd(11);
        int l = Vec.F.length(), cases = 0;
        for (int b : new int[] {1, 3, 32}) {
            for (int c : new int[] {1, 5, 19}) {
                for (int hw : new int[] {l, 2 * l, 9 * l, 32 * l, l + 1}) {
                    float[] x = r.uniform(2 + b * c * hw), y = r.uniform(2 + b * c * hw);
                    float[] sumRef = new float[c], dotRef = new float[c];
                    for (int ch = 0; ch < c; ch++) {
                        if (Vec.ENABLED && hw % l == 0) {
                            FloatVector a = FloatVector.zero(Vec.F), d = a;
                            for (int n = 0; n < b; n++) {
                                for (int i = 0, o = 2 + (n * c + ch) * hw; i < hw; i += l) {
                                    a = a.add(FloatVector.fromArray(Vec.F, x, o + i));
                                    d = FloatVector.fromArray(Vec.F, x, o + i).fma(FloatVector.fromArray(Vec.F, y, o + i), d);
                                }
                            }
                            sumRef[ch] = Vec.sumLanes(a);
                            dotRef[ch] = Vec.sumLanes(d);
                        } else {
                            double a = 0, d = 0;
                            for (int n = 0; n < b; n++) {
                                a += Reduce.sum(x, 2 + (n * c + ch) * hw, hw);
                                d += Reduce.dot(x, 2 + (n * c + ch) * hw, y, 2 + (n * c + ch) * hw, hw);
                            }
                            sumRef[ch] = (float) a;
                            dotRef[ch] = (float) d;
                        }
                    }
                    float[] lanes = r.uniform(Reduce.channelScratchFloats(c));
                    float[] s = new float[c], d = new float[c], sp = new float[c], dp = new float[c];
                    Reduce.channelSum(x, 2, b, c, hw, s, 0, false, lanes);
                    Reduce.channelDot(x, 2, y, 2, b, c, hw, d, 0, false, lanes);
                    int half = c / 2;
                    for (int[] part : new int[][] {{half, c}, {0, half}}) {
                        Reduce.channelSum(x, 2, b, c, hw, part[0], part[1], sp, 0, false, lanes);
                        Reduce.channelDot(x, 2, y, 2, b, c, hw, part[0], part[1], dp, 0, false, lanes);
                    }
                    // both in one pass (BN's backward), whole and in two ranges
                    float[] lanes2 = r.uniform(2 * Reduce.channelScratchFloats(c));
                    float[] sf = new float[c], df = new float[c], sfp = new float[c], dfp = new float[c];
                    Reduce.channelSumDot(x, 2, y, 2, b, c, hw, 0, c, sf, df, lanes2);
                    for (int[] part : new int[][] {{half, c}, {0, half}}) Reduce.channelSumDot(x, 2, y, 2, b, c, hw, part[0], part[1], sfp, dfp, lanes2);
                    String at = "b=" + b + " c=" + c + " hw=" + hw;
                    Assert.sameBits(sumRef, sf, "channelSumDot's sums " + at);
                    Assert.sameBits(dotRef, df, "channelSumDot's products " + at);
                    Assert.sameBits(sumRef, sfp, "channelSumDot's sums in two ranges " + at);
                    Assert.sameBits(dotRef, dfp, "channelSumDot's products in two ranges " + at);
                    Assert.sameBits(sumRef, s, "channelSum " + at);
                    Assert.sameBits(dotRef, d, "channelDot " + at);
                    Assert.sameBits(sumRef, sp, "channelSum in two ranges " + at);
                    Assert.sameBits(dotRef, dp, "channelDot in two ranges " + at);
                    cases++;
                }
            }
        }
        assertEquals(45, cases);
    }

    @Test
    void softmaxCrossEntropyVectorScalarAndDefinition() {
        Rnd r = new Rnd(10);
        int cases = 0;
        for (int b : new int[] {1, 2, 5}) {
            for (int n : new int[] {2, 3, 5, 8, 10, 17, 100}) {
                float[] logits = r.uniform(b * n, -5, 5);
                int[] labels = new int[b];
                for (int i = 0; i < b; i++) labels[i] = r.nextInt(n);
                float[] ds = new float[b * n], dv = new float[b * n];
                double ls = SoftmaxCrossEntropy.scalar(logits, 0, b, n, labels, 0, ds, 0);
                double lv = SoftmaxCrossEntropy.vector(logits, 0, b, n, labels, 0, dv, 0);
                assertEquals(ls, lv, LOSS_TOL, "loss b=" + b + " n=" + n);
                Assert.close("dlogits b=" + b + " n=" + n, ds, dv, LOSS_TOL, LOSS_TOL);
                double ref = 0;
                float[] dref = new float[b * n];
                for (int i = 0; i < b; i++) {
                    double z = 0;
                    for (int j = 0; j < n; j++) z += Math.exp(logits[i * n + j]);
                    ref += Math.log(z) - logits[i * n + labels[i]];
                    for (int j = 0; j < n; j++) dref[i * n + j] = (float) ((Math.exp(logits[i * n + j]) / z - (j == labels[i] ? 1 : 0)) / b);
                }
                assertEquals(ref / b, ls, 1e-5, "loss vs definition");
                Assert.close("dlogits vs definition", dref, ds, 1e-6, 1e-5);
                cases++;
            }
        }
        assertEquals(21, cases);
    }
}
