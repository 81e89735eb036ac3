package org.lance4j.compress;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
 * Compressed stores on depthwise convolutions: channels are expanded (X̃ = U_C · T) before the
 * per-channel weight gradient. Checked against the exact per-channel gradient of the projected input in
 * double, and against backprop at full rank (LANCE) and full energy (HOSVD).
 */
class DepthwiseCompressionTest {
    static final double ATOL = 2e-5, RTOL = 2e-4;

    /** (C, H, W, K, S, P, B, r_C, r_H, r_W, r_B or 0). */
    static final int[][] CASES = {
        {4, 6, 5, 3, 1, 1, 2, 2, 3, 4, 0},
        {6, 7, 7, 3, 2, 1, 3, 3, 4, 5, 2},
        {3, 8, 8, 5, 2, 2, 2, 1, 2, 3, 1},
    };

    record Setup(Model model, ConvBasis basis, float[] x, float[] g, int[] c) { }

    static Setup setup(int[] c, long seed, boolean full) {
        SplittableRandom r = new SplittableRandom(seed);
        int C = c[0], H = c[1], W = c[2], K = c[3], S = c[4], P = c[5], B = c[6];
        SpecBuilder sb = new SpecBuilder("dw", C, H, W);
        sb.node("conv", new LayerSpec.Conv(C, K, S, P, C, false), ModelSpec.INPUT);
        Model m = Model.initialized(sb.build(), seed);
        int rC = full ? C : c[7], rH = full ? H : c[8], rW = full ? W : c[9], rB = full && c[10] > 0 ? B : c[10];
        ConvBasis basis = new ConvBasis(B, C, H, W, rB > 0 ? LanceConvTest.orthonormal(B, rB, r) : null, rB,
                LanceConvTest.orthonormal(C, rC, r), rC, LanceConvTest.orthonormal(H, rH, r), rH, LanceConvTest.orthonormal(W, rW, r), rW);
        float[] x = new float[B * C * H * W];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        int oh = (H + 2 * P - K) / S + 1, ow = (W + 2 * P - K) / S + 1;
        float[] g = new float[B * C * oh * ow];
        for (int i = 0; i < g.length; i++) g[i] = (float) r.nextGaussian();
        return new Setup(m, basis, x, g, c);
    }

    static float[] grad(Setup s, Graph.Config cfg) {
        Graph g = Steps.withOutputGrad(Graph.plan(s.model, cfg), s.x, s.g);
        return g.gradOf(s.model.param("conv.weight")).toArray();
    }

    /** dW[c,i,j] = Σ_{b,y,x} G[b,c,y,x] · X̃[b,c,S·y+i−P, S·x+j−P], in double. */
    static float[] exactDepthwiseGrad(double[] x, float[] g, int[] c) {
        int C = c[0], H = c[1], W = c[2], K = c[3], S = c[4], P = c[5], B = c[6];
        int oh = (H + 2 * P - K) / S + 1, ow = (W + 2 * P - K) / S + 1;
        float[] dw = new float[C * K * K];
        for (int ch = 0; ch < C; ch++) {
            for (int i = 0; i < K; i++) {
                for (int j = 0; j < K; j++) {
                    double acc = 0;
                    for (int b = 0; b < B; b++) {
                        for (int y = 0; y < oh; y++) {
                            for (int xx = 0; xx < ow; xx++) {
                                int iy = S * y + i - P, ix = S * xx + j - P;
                                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                                acc += g[((b * C + ch) * oh + y) * ow + xx] * x[((b * C + ch) * H + iy) * W + ix];
                            }
                        }
                    }
                    dw[(ch * K + i) * K + j] = (float) acc;
                }
            }
        }
        return dw;
    }

    @Test
    void lanceOnDepthwiseIsTheExactGradientOfTheProjectedInput() {
        int cases = 0;
        for (int[] c : CASES) {
            Setup s = setup(c, 101 + cases, false);
            float[] lance = grad(s, Graph.Config.train(c[6], TrainableRule.all()).withCompression(Map.of("conv", s.basis)));
            // the LANCE test's projector works on (B, C, H, W) with its own case layout: map ours onto it
            int[] asConv = {c[0], c[1], c[2], c[0], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10]};
            double[] xt = LanceConvTest.projectedInput(new LanceConvTest.Setup(s.model, s.basis, s.x, s.g, asConv));
            Assert.close("depthwise LANCE dW, case " + cases, exactDepthwiseGrad(xt, s.g, c), lance, ATOL, RTOL);
            cases++;
        }
        assertEquals(CASES.length, cases);
    }

    @Test
    void fullRankAndFullEnergyGiveBackprop() {
        int cases = 0;
        for (int[] c : CASES) {
            Setup s = setup(c, 111 + cases, true);
            Graph.Config base = Graph.Config.train(c[6], TrainableRule.all());
            float[] bp = grad(s, base);
            Assert.close("full-rank LANCE, case " + cases, bp, grad(s, base.withCompression(Map.of("conv", s.basis))), ATOL, RTOL);
            Assert.close("HOSVD at energy 1, case " + cases, bp, grad(s, base.withHosvd(1.0)), 2e-4, 1e-3);
            Assert.close("full-rank ASI, case " + cases, bp, grad(s, base.withCompression(Map.of("conv", s.basis)).withSubspaceIteration()),
                    2e-4, 1e-3);
            cases++;
        }
        assertEquals(CASES.length, cases);
    }
}
