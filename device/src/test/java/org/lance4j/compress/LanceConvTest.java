package org.lance4j.compress;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.lance4j.graph.Graph;
import org.lance4j.graph.LayerSpec;
import org.lance4j.graph.Model;
import org.lance4j.graph.ModelSpec;
import org.lance4j.graph.SpecBuilder;
import org.lance4j.graph.TrainableRule;
import org.lance4j.kernel.ModeOps;
import org.lance4j.testutil.Assert;
import org.lance4j.testutil.Steps;

/**
 * The LANCE store of a convolution: its weight gradient, taken from the core without rebuilding X,
 * equals the exact weight gradient of the projected activation X̃ = S ×_B U_B ×_C U_C ×_H U_H ×_W U_W
 * computed the slow way (explicit loops, double), for any ranks, strides, padding, 1×1 and a projected
 * or unprojected batch mode; with full ranks it equals full backprop. These fail on a wrong contraction.
 */
public class LanceConvTest {
    static final double ATOL = 2e-5, RTOL = 2e-4;

    /** (C, H, W, O, K, S, P, B, r_C, r_H, r_W, r_B or 0 for an unprojected batch). */
    public static final int[][] CASES = {
        {3, 6, 5, 4, 3, 1, 1, 2, 2, 3, 4, 0},
        {4, 7, 7, 3, 3, 2, 1, 3, 3, 4, 5, 2},
        {5, 5, 6, 2, 1, 1, 0, 2, 2, 5, 3, 0},
        {2, 8, 8, 3, 5, 2, 2, 2, 1, 2, 3, 1},
        {3, 4, 4, 2, 3, 1, 0, 4, 1, 1, 1, 1},
        {6, 9, 4, 5, 3, 1, 1, 3, 6, 9, 4, 3},
        {12, 1, 2, 3, 1, 1, 0, 2, 4, 1, 2, 0},    // channels outnumber the rest (HOSVD's N × N path)
        {16, 2, 2, 3, 3, 1, 1, 3, 5, 2, 1, 0},
    };

    public static float[] orthonormal(int d, int r, SplittableRandom rnd) {
        double[] q = new double[d * r];
        for (int j = 0; j < r; j++) {
            double[] v = new double[d];
            for (int i = 0; i < d; i++) v[i] = rnd.nextGaussian();
            for (int p = 0; p < j; p++) {
                double dot = 0;
                for (int i = 0; i < d; i++) dot += v[i] * q[i * r + p];
                for (int i = 0; i < d; i++) v[i] -= dot * q[i * r + p];
            }
            double n = 0;
            for (double x : v) n += x * x;
            n = Math.sqrt(n);
            for (int i = 0; i < d; i++) q[i * r + j] = v[i] / n;
        }
        float[] f = new float[d * r];
        for (int i = 0; i < f.length; i++) f[i] = (float) q[i];
        return f;
    }

    public record Setup(Model model, ConvBasis basis, float[] x, float[] g, int[] c) { }

    public static Setup setup(int[] c, long seed, boolean fullRank) {
        SplittableRandom r = new SplittableRandom(seed);
        int C = c[0], H = c[1], W = c[2], O = c[3], K = c[4], S = c[5], P = c[6], B = c[7];
        SpecBuilder sb = new SpecBuilder("one-conv", C, H, W);
        sb.node("conv", new LayerSpec.Conv(O, K, S, P, 1, true), ModelSpec.INPUT);
        Model m = Model.initialized(sb.build(), seed);
        int rC = fullRank ? C : c[8], rH = fullRank ? H : c[9], rW = fullRank ? W : c[10], rB = fullRank && c[11] > 0 ? B : c[11];
        ConvBasis basis = new ConvBasis(B, C, H, W, rB > 0 ? orthonormal(B, rB, r) : null, rB, orthonormal(C, rC, r), rC,
                orthonormal(H, rH, r), rH, orthonormal(W, rW, r), rW);
        float[] x = new float[B * C * H * W];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        int oh = (H + 2 * P - K) / S + 1, ow = (W + 2 * P - K) / S + 1;
        float[] g = new float[B * O * oh * ow];
        for (int i = 0; i < g.length; i++) g[i] = (float) r.nextGaussian();
        return new Setup(m, basis, x, g, c);
    }

    /** One step with the given output gradient; returns dW. */
    static float[] weightGrad(Setup s, boolean lance, Graph[] graphOut) {
        Graph.Config cfg = Graph.Config.train(s.c[7], TrainableRule.all());
        if (lance) cfg = cfg.withCompression(Map.of("conv", s.basis));
        Graph g = Steps.withOutputGrad(Graph.plan(s.model, cfg), s.x, s.g);
        if (graphOut != null) graphOut[0] = g;
        return g.gradOf(s.model.param("conv.weight")).toArray();
    }

    /** X̃ the slow way: S = X ×_n U_nᵀ over every mode, then X̃ = S ×_n U_n, in double. */
    /** The Gram (D, D) of one mode (0 = B, 1 = C, 2 = H, 3 = W) of x (B, C, H, W), in double, from its definition. */
    public static double[] modeGram(float[] x, int[] dims, int mode) {
        int d = dims[mode];
        double[] g = new double[d * d];
        for (int e = 0; e < x.length; e++) {
            int[] idx = {e / (dims[1] * dims[2] * dims[3]), e / (dims[2] * dims[3]) % dims[1], e / dims[3] % dims[2], e % dims[3]};
            for (int j = 0; j < d; j++) {
                int[] jdx = idx.clone();
                jdx[mode] = j;
                g[idx[mode] * d + j] += (double) x[e] * x[((jdx[0] * dims[1] + jdx[1]) * dims[2] + jdx[2]) * dims[3] + jdx[3]];
            }
        }
        return g;
    }

    public static double[] projectedInput(Setup s) {
        int[] c = s.c;
        int C = c[0], H = c[1], W = c[2], B = c[7];
        ConvBasis u = s.basis;
        double[] pB = projector(u.uB(), B, u.rB()), pC = projector(u.uC(), C, u.rC()), pH = projector(u.uH(), H, u.rH()),
                pW = projector(u.uW(), W, u.rW());
        double[] t = new double[s.x.length];
        for (int i = 0; i < t.length; i++) t[i] = s.x[i];
        // X̃ = X ×_B (U_B U_Bᵀ) ×_C (U_C U_Cᵀ) ×_H (U_H U_Hᵀ) ×_W (U_W U_Wᵀ): projector per mode, applied in turn
        t = applyMode(t, new int[] {B, C, H, W}, 0, pB);
        t = applyMode(t, new int[] {B, C, H, W}, 1, pC);
        t = applyMode(t, new int[] {B, C, H, W}, 2, pH);
        return applyMode(t, new int[] {B, C, H, W}, 3, pW);
    }

    static double[] projector(float[] u, int d, int r) {
        double[] p = new double[d * d];
        if (u == null) {
            for (int i = 0; i < d; i++) p[i * d + i] = 1;
            return p;
        }
        for (int i = 0; i < d; i++) for (int j = 0; j < d; j++) for (int q = 0; q < r; q++) p[i * d + j] += (double) u[i * r + q] * u[j * r + q];
        return p;
    }

    static double[] applyMode(double[] t, int[] dims, int mode, double[] p) {
        double[] out = new double[t.length];
        int d = dims[mode];
        int inner = 1;
        for (int m = mode + 1; m < 4; m++) inner *= dims[m];
        int outer = t.length / (d * inner);
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < d; i++) {
                for (int q = 0; q < inner; q++) {
                    double acc = 0;
                    for (int j = 0; j < d; j++) acc += p[i * d + j] * t[(o * d + j) * inner + q];
                    out[(o * d + i) * inner + q] = acc;
                }
            }
        }
        return out;
    }

    /** dW[o,c,i,j] = Σ_{b,y,x} G[b,o,y,x] · X[b,c,S·y+i−P, S·x+j−P], in double. */
    public static float[] exactWeightGrad(double[] x, float[] g, int[] c) {
        int C = c[0], H = c[1], W = c[2], O = c[3], K = c[4], S = c[5], P = c[6], B = c[7];
        int oh = (H + 2 * P - K) / S + 1, ow = (W + 2 * P - K) / S + 1;
        float[] dw = new float[O * C * K * K];
        for (int o = 0; o < O; o++) {
            for (int ch = 0; ch < C; ch++) {
                for (int i = 0; i < K; i++) {
                    for (int j = 0; j < K; j++) {
                        double acc = 0;
                        for (int b = 0; b < B; b++) {
                            for (int y = 0; y < oh; y++) {
                                for (int xx = 0; xx < ow; xx++) {
                                    int iy = S * y + i - P, ix = S * xx + j - P;
                                    if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                                    acc += g[((b * O + o) * oh + y) * ow + xx] * x[((b * C + ch) * H + iy) * W + ix];
                                }
                            }
                        }
                        dw[((o * C + ch) * K + i) * K + j] = (float) acc;
                    }
                }
            }
        }
        return dw;
    }

    @Test
    void anyRanksGiveTheExactGradientOfTheProjectedInput() {
        int cases = 0;
        for (int[] c : CASES) {
            Setup s = setup(c, 11 + cases, false);
            Graph[] gs = new Graph[1];
            float[] lance = weightGrad(s, true, gs);
            float[] ref = exactWeightGrad(projectedInput(s), s.g, c);
            Assert.close("LANCE dW, case " + cases, ref, lance, ATOL, RTOL);
            // the peak is the core plus the resident factors, nothing else
            assertEquals(4L * (s.basis.coreSize() + s.basis.factorSize()), gs[0].held().peakBytes(), "held bytes, case " + cases);
            assertEquals(gs[0].plannedHeldBytes(), gs[0].held().peakBytes());
            cases++;
        }
        assertEquals(CASES.length, cases);
    }

    @Test
    void fullRanksGiveTheFullBackpropGradient() {
        int cases = 0;
        for (int[] c : CASES) {
            Setup s = setup(c, 31 + cases, true);
            float[] bp = weightGrad(s, false, null);
            float[] lance = weightGrad(s, true, null);
            Assert.close("full-rank LANCE vs BP, case " + cases, bp, lance, ATOL, RTOL);
            cases++;
        }
        assertEquals(CASES.length, cases);
    }

    @Test
    void forwardOutputIsUnchangedAndBiasGradientIsExact() {
        Setup s = setup(CASES[1], 5, false);
        Graph[] a = new Graph[1], b = new Graph[1];
        weightGrad(s, false, a);
        float[] outBp = a[0].output().toArray(), dbBp = a[0].gradOf(s.model.param("conv.bias")).toArray();
        weightGrad(s, true, b);
        assertArrayEquals(outBp, b[0].output().toArray());
        assertArrayEquals(dbBp, b[0].gradOf(s.model.param("conv.bias")).toArray());
    }

    @Test
    void modeGramsMatchTheirDefinition() {
        // odd shapes, 1 × 1 planes (linear heads, the last layers at 32 px), one-row and one-column planes
        int[][] shapes = {{2, 3, 6, 5}, {5, 7, 1, 1}, {3, 4, 1, 6}, {2, 3, 5, 1}, {1, 9, 2, 2}, {4, 2, 9, 11}};
        int checked = 0;
        SplittableRandom r = new SplittableRandom(7);
        for (int[] d : shapes) {
            int n = d[0] * d[1] * d[2] * d[3];
            float[] x = new float[n + 3];   // at an offset, to catch a dropped one
            for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
            float[][] got = new float[4][];
            for (int m = 0; m < 4; m++) {
                got[m] = new float[d[m] * d[m]];
                java.util.Arrays.fill(got[m], 1f);   // gram accumulates: the expected value is 1 + the Gram
            }
            ModeOps.gram(x, 3, d[0], d[1], d[2], d[3], got[0], got[1], got[2], got[3]);
            float[] xs = java.util.Arrays.copyOfRange(x, 3, x.length);
            for (int mode = 0; mode < 4; mode++) {
                double[] exact = modeGram(xs, d, mode);
                float[] ref = new float[exact.length];
                for (int i = 0; i < exact.length; i++) ref[i] = (float) (1 + exact[i]);
                Assert.close("Gram of mode " + mode + " of " + java.util.Arrays.toString(d), ref, got[mode], 1e-4, 1e-5);
                checked++;
            }
        }
        assertEquals(4 * shapes.length, checked, "modes compared");
    }

    @Test
    void mismatchedBasesAreRefused() {
        Setup s = setup(CASES[0], 9, false);
        Graph.Config wrongBatch = Graph.Config.train(3, TrainableRule.all()).withCompression(Map.of("conv", s.basis));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Graph.plan(s.model, wrongBatch));
        assertEquals(true, e.getMessage().contains("calibrate again"), e.getMessage());
        Graph.Config frozen = Graph.Config.train(2, TrainableRule.none()).withCompression(Map.of("conv", s.basis));
        assertThrows(IllegalArgumentException.class, () -> Graph.plan(s.model, frozen));
        Graph.Config unknown = Graph.Config.train(2, TrainableRule.all()).withCompression(Map.of("nope", s.basis));
        assertThrows(IllegalArgumentException.class, () -> Graph.plan(s.model, unknown));
        assertThrows(IllegalArgumentException.class, () -> new ConvBasis(2, 3, 4, 4, null, 0, new float[5], 2, new float[8], 2, new float[8], 2));
    }
}
