package org.lance4j.compress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.lance4j.graph.Graph;
import org.lance4j.graph.LayerSpec;
import org.lance4j.graph.Model;
import org.lance4j.graph.ModelSpec;
import org.lance4j.graph.SpecBuilder;
import org.lance4j.graph.TrainableRule;
import org.lance4j.testutil.Assert;
import org.lance4j.testutil.Steps;

/**
 * The unfolded (continual-learning) store of a convolution: its weight gradient equals, for any ranks,
 * strides, padding and a projected or unprojected batch, the exact gradient of the projected columns
 * X̃_b = Σ_m P_B[b, m] · P_in col(X_m) P_L (P = U Uᵀ) computed the slow way in double, with the im2col
 * columns taken from their definition; with full ranks it equals full backprop; when U_in is orthogonal to
 * a memory P, every row of dW is too (what protects earlier tasks); the arena holds core + factors.
 */
class LanceUnfoldedTest {
    /** (C, H, W, O, K, S, P, B, r_in, r_L, r_B or 0 for an unprojected batch). */
    static final int[][] CASES = {
        {3, 6, 5, 4, 3, 1, 1, 2, 5, 7, 0},
        {4, 7, 7, 3, 3, 2, 1, 3, 11, 6, 2},
        {5, 5, 6, 2, 1, 1, 0, 2, 3, 13, 0},
        {2, 8, 8, 3, 5, 2, 2, 2, 9, 4, 1},
        {1, 9, 9, 6, 4, 1, 0, 4, 16, 36, 0},   // AlexNet-CL's first layer shape, full column rank
        {6, 4, 4, 5, 2, 1, 0, 3, 1, 1, 3},
    };

    record Setup(Model model, ConvBasis basis, float[] x, float[] g, int[] c, int oh, int ow) {
        int ckk() {
            return c[0] * c[4] * c[4];
        }
    }

    static Setup setup(int[] c, long seed, boolean fullRank, float[] uIn) {
        SplittableRandom r = new SplittableRandom(seed);
        int C = c[0], H = c[1], W = c[2], O = c[3], K = c[4], S = c[5], P = c[6], B = c[7];
        int oh = (H + 2 * P - K) / S + 1, ow = (W + 2 * P - K) / S + 1, l = oh * ow, ckk = C * K * K;
        SpecBuilder sb = new SpecBuilder("one-conv", C, H, W);
        sb.node("conv", new LayerSpec.Conv(O, K, S, P, 1, false), ModelSpec.INPUT);
        Model m = Model.initialized(sb.build(), seed);
        int rIn = fullRank ? ckk : Math.min(c[8], ckk), rL = fullRank ? l : Math.min(c[9], l), rB = fullRank && c[10] > 0 ? B : c[10];
        if (uIn != null) rIn = uIn.length / ckk;
        ConvBasis basis = new ConvBasis(B, ckk, l, 1, rB > 0 ? LanceConvTest.orthonormal(B, rB, r) : null, rB,
                uIn != null ? uIn : LanceConvTest.orthonormal(ckk, rIn, r), rIn, LanceConvTest.orthonormal(l, rL, r), rL, new float[] {1}, 1, true);
        float[] x = new float[B * C * H * W], g = new float[B * O * l];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        for (int i = 0; i < g.length; i++) g[i] = (float) r.nextGaussian();
        return new Setup(m, basis, x, g, c, oh, ow);
    }

    static float[] weightGrad(Setup s, boolean compressed, Graph[] out) {
        Graph.Config cfg = Graph.Config.train(s.c[7], TrainableRule.all());
        if (compressed) cfg = cfg.withCompression(Map.of("conv", s.basis));
        Graph g = Steps.withOutputGrad(Graph.plan(s.model, cfg), s.x, s.g);
        if (out != null) out[0] = g;
        return g.gradOf(s.model.param("conv.weight")).toArray();
    }

    /** col(X_b) (C·K·K, L) from the definition: row (c, i, j), column (y, x) reads X[b, c, s·y + i − p, s·x + j − p] or 0. */
    static double[] columns(Setup s, int b) {
        int[] c = s.c;
        int C = c[0], H = c[1], W = c[2], K = c[4], S = c[5], P = c[6], l = s.oh * s.ow;
        double[] col = new double[s.ckk() * l];
        for (int ch = 0; ch < C; ch++) {
            for (int i = 0; i < K; i++) {
                for (int j = 0; j < K; j++) {
                    for (int y = 0; y < s.oh; y++) {
                        for (int xx = 0; xx < s.ow; xx++) {
                            int iy = S * y + i - P, ix = S * xx + j - P;
                            if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                            col[((ch * K + i) * K + j) * l + y * s.ow + xx] = s.x[((b * C + ch) * H + iy) * W + ix];
                        }
                    }
                }
            }
        }
        return col;
    }

    /** dW (O, C·K·K) = Σ_b dY_b X̃_bᵀ with X̃_b = Σ_m P_B[b, m] P_in col(X_m) P_L, in double. */
    static float[] projectedGrad(Setup s) {
        int B = s.c[7], O = s.c[3], q = s.ckk(), l = s.oh * s.ow;
        ConvBasis u = s.basis;
        double[] pIn = LanceConvTest.projector(u.uC(), q, u.rC()), pL = LanceConvTest.projector(u.uH(), l, u.rH()),
                pB = LanceConvTest.projector(u.uB(), B, u.rB());
        double[][] proj = new double[B][];
        for (int m = 0; m < B; m++) {
            double[] col = columns(s, m), a = new double[q * l], t = new double[q * l];
            for (int i = 0; i < q; i++) for (int k = 0; k < q; k++) for (int y = 0; y < l; y++) a[i * l + y] += pIn[i * q + k] * col[k * l + y];
            for (int i = 0; i < q; i++) for (int k = 0; k < l; k++) for (int y = 0; y < l; y++) t[i * l + y] += a[i * l + k] * pL[k * l + y];
            proj[m] = t;
        }
        double[] dw = new double[O * q];
        for (int b = 0; b < B; b++) {
            double[] xt = new double[q * l];
            for (int m = 0; m < B; m++) for (int e = 0; e < xt.length; e++) xt[e] += pB[b * B + m] * proj[m][e];
            for (int o = 0; o < O; o++) {
                for (int i = 0; i < q; i++) {
                    double acc = 0;
                    for (int y = 0; y < l; y++) acc += s.g[(b * O + o) * l + y] * xt[i * l + y];
                    dw[o * q + i] += acc;
                }
            }
        }
        float[] f = new float[dw.length];
        for (int i = 0; i < f.length; i++) f[i] = (float) dw[i];
        return f;
    }

    @Test
    void anyRanksGiveTheExactGradientOfTheProjectedColumns() {
        int cases = 0;
        for (int[] c : CASES) {
            Setup s = setup(c, 41 + cases, false, null);
            Graph[] gs = new Graph[1];
            Assert.close("unfolded dW, case " + cases, projectedGrad(s), weightGrad(s, true, gs), 2e-5, 2e-4);
            ConvBasis b = s.basis;
            long held = (long) b.rB() * b.rC() * b.rH() + (b.projectsBatch() ? (long) b.b() * b.rB() : 0) + (long) b.c() * b.rC() + (long) b.h() * b.rH();
            assertEquals(4 * held, gs[0].held().peakBytes(), "held = core + factors, case " + cases);
            assertEquals(gs[0].plannedHeldBytes(), gs[0].held().peakBytes(), "planned = measured, case " + cases);
            cases++;
        }
        assertEquals(CASES.length, cases);
    }

    @Test
    void fullRanksGiveTheFullBackpropGradient() {
        int cases = 0;
        for (int[] c : CASES) {
            Setup s = setup(c, 7 + cases, true, null);
            Assert.close("full-rank unfolded dW = BP dW, case " + cases, weightGrad(s, false, null), weightGrad(s, true, null), 2e-5, 2e-4);
            cases++;
        }
        assertEquals(CASES.length, cases);
    }

    @Test
    void gradientRowsStayOrthogonalToAMemoryTheBasisAvoids() {
        // P: 3 random directions of the 36-long columns; U_in: 20 orthonormal directions orthogonal to P
        int[] c = {4, 6, 6, 5, 3, 1, 1, 3, 0, 17, 0};
        int q = 36;
        SplittableRandom r = new SplittableRandom(3);
        float[] both = LanceConvTest.orthonormal(q, 23, r);   // columns 0..2 = P, 3..22 = U_in
        float[] p = new float[q * 3], u = new float[q * 20];
        for (int i = 0; i < q; i++) {
            for (int j = 0; j < 3; j++) p[i * 3 + j] = both[i * 23 + j];
            for (int j = 0; j < 20; j++) u[i * 20 + j] = both[i * 23 + 3 + j];
        }
        Setup s = setup(c, 5, false, u);
        float[] dw = weightGrad(s, true, null), bp = weightGrad(s, false, null);
        double worst = 0, scale = 0, bpAlong = 0;
        for (int o = 0; o < c[3]; o++) {
            for (int j = 0; j < 3; j++) {
                double d = 0, e = 0;
                for (int i = 0; i < q; i++) {
                    d += dw[o * q + i] * p[i * 3 + j];
                    e += bp[o * q + i] * p[i * 3 + j];
                }
                worst = Math.max(worst, Math.abs(d));
                bpAlong = Math.max(bpAlong, Math.abs(e));
            }
            for (int i = 0; i < q; i++) scale = Math.max(scale, Math.abs(dw[o * q + i]));
        }
        assertTrue(scale > 1e-2, "the gradient vanished");
        assertTrue(bpAlong > 1e-1 * scale, "full backprop's gradient has no component along P, so the test proves nothing");
        assertTrue(worst <= 1e-5 * scale, "dW · P = " + worst + " against |dW| " + scale);
    }

    @Test
    void refusesAMismatchedBasis() {
        Setup s = setup(CASES[0], 1, false, null);
        Graph.Config cfg = Graph.Config.train(s.c[7] + 1, TrainableRule.all()).withCompression(Map.of("conv", s.basis));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Graph.plan(s.model, cfg));
        assertTrue(e.getMessage().contains("unfolded basis made for columns") && e.getMessage().contains("calibrate again"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ConvBasis(2, 4, 3, 2, null, 0, new float[4], 1, new float[3], 1, new float[2], 1, true));
    }
}
