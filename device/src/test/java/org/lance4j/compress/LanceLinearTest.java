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
 * The LANCE store of a linear layer: dW from the core S = U_Bᵀ X U_F equals, for any ranks and with or
 * without a projected batch, the exact gradient Gᵀ X̃ with X̃ = U_B U_Bᵀ X U_F U_Fᵀ computed the slow way
 * (double loops); with full ranks it equals full backprop; the arena holds exactly core + factors; the
 * input gradient and the bias gradient do not change. A swapped contraction fails these.
 */
class LanceLinearTest {
    /** (F, O, B, r_F, r_B or 0 for an unprojected batch). */
    static final int[][] CASES = {
        {7, 3, 4, 2, 0},
        {16, 5, 6, 5, 3},
        {33, 4, 2, 1, 1},
        {9, 9, 5, 9, 0},
        {64, 10, 8, 7, 2},
    };

    record Setup(Model model, ConvBasis basis, float[] x, float[] g, int[] c) { }

    static Setup setup(int[] c, long seed, boolean fullRank) {
        SplittableRandom r = new SplittableRandom(seed);
        int f = c[0], o = c[1], b = c[2];
        int rF = fullRank ? f : c[3], rB = fullRank && c[4] > 0 ? b : c[4];
        SpecBuilder sb = new SpecBuilder("one-linear", f, 1, 1);
        sb.node("flat", new LayerSpec.Flatten(), ModelSpec.INPUT);
        sb.node("fc", new LayerSpec.Linear(o, true), "flat");
        Model m = Model.initialized(sb.build(), seed);
        ConvBasis basis = new ConvBasis(b, f, 1, 1, rB > 0 ? LanceConvTest.orthonormal(b, rB, r) : null, rB,
                LanceConvTest.orthonormal(f, rF, r), rF, new float[] {1}, 1, new float[] {1}, 1);
        float[] x = new float[b * f], g = new float[b * o];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        for (int i = 0; i < g.length; i++) g[i] = (float) r.nextGaussian();
        return new Setup(m, basis, x, g, c);
    }

    /** One step with the given output gradient; returns {dW, db, dX}. */
    static float[][] grads(Setup s, boolean lance, Graph[] out) {
        Graph.Config cfg = Graph.Config.train(s.c[2], TrainableRule.all()).withInputGradient();
        if (lance) cfg = cfg.withCompression(Map.of("fc", s.basis));
        Graph g = Steps.withOutputGrad(Graph.plan(s.model, cfg), s.x, s.g);
        if (out != null) out[0] = g;
        return new float[][] {g.gradOf(s.model.param("fc.weight")).toArray(), g.gradOf(s.model.param("fc.bias")).toArray(),
                g.inputGrad().toArray()};
    }

    /** Gᵀ X̃, X̃ = P_B X P_F with P = U Uᵀ (identity for an unprojected batch), in double. */
    static float[] projectedGrad(Setup s) {
        int f = s.c[0], o = s.c[1], b = s.c[2];
        double[] pF = LanceConvTest.projector(s.basis.uC(), f, s.basis.rC()), pB = LanceConvTest.projector(s.basis.uB(), b, s.basis.rB());
        double[] xf = new double[b * f], xt = new double[b * f];
        for (int n = 0; n < b; n++) for (int j = 0; j < f; j++) for (int i = 0; i < f; i++) xf[n * f + j] += s.x[n * f + i] * pF[i * f + j];
        for (int n = 0; n < b; n++) for (int j = 0; j < f; j++) for (int m = 0; m < b; m++) xt[n * f + j] += pB[n * b + m] * xf[m * f + j];
        float[] dw = new float[o * f];
        for (int q = 0; q < o; q++) {
            for (int j = 0; j < f; j++) {
                double acc = 0;
                for (int n = 0; n < b; n++) acc += s.g[n * o + q] * xt[n * f + j];
                dw[q * f + j] = (float) acc;
            }
        }
        return dw;
    }

    @Test
    void anyRanksGiveTheExactGradientOfTheProjectedInput() {
        int cases = 0;
        for (int[] c : CASES) {
            Setup s = setup(c, 5 + cases, false);
            Graph[] gs = new Graph[1];
            float[][] lance = grads(s, true, gs);
            float[][] full = grads(s, false, null);
            Assert.close("LANCE linear dW, case " + cases, projectedGrad(s), lance[0], 2e-5, 2e-4);
            Assert.close("bias gradient unchanged, case " + cases, full[1], lance[1], 0, 0);
            Assert.close("input gradient unchanged, case " + cases, full[2], lance[2], 0, 0);
            long factors = (c[4] > 0 ? (long) c[2] * c[4] : 0) + (long) c[0] * c[3];
            long core = (long) (c[4] > 0 ? c[4] : c[2]) * c[3];
            assertEquals(4 * (core + factors), gs[0].held().peakBytes(), "held = core + factors, case " + cases);
            assertEquals(gs[0].plannedHeldBytes(), gs[0].held().peakBytes());
            cases++;
        }
        assertEquals(CASES.length, cases);
    }

    @Test
    void fullRanksGiveTheFullBackpropGradient() {
        int cases = 0;
        for (int[] c : CASES) {
            Setup s = setup(c, 17 + cases, true);
            Assert.close("full-rank LANCE linear dW = BP dW, case " + cases, grads(s, false, null)[0], grads(s, true, null)[0], 2e-5, 2e-4);
            cases++;
        }
        assertEquals(CASES.length, cases);
    }

    @Test
    void lowRankChangesTheGradient() {
        // guards the two tests above against a store that silently keeps X: rank 1 of 33 must differ from BP
        Setup s = setup(CASES[2], 3, false);
        float[] bp = grads(s, false, null)[0], lance = grads(s, true, null)[0];
        double diff = 0;
        for (int i = 0; i < bp.length; i++) diff += Math.abs(bp[i] - lance[i]);
        assertTrue(diff > 1e-2, "rank-1 gradient equals the full one: " + diff);
    }

    @Test
    void refusesAMismatchedBasis() {
        Setup s = setup(CASES[0], 1, false);
        Graph.Config cfg = Graph.Config.train(s.c[2] + 1, TrainableRule.all()).withCompression(Map.of("fc", s.basis));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Graph.plan(s.model, cfg));
        assertTrue(e.getMessage().contains("calibrate again"), e.getMessage());
        Graph.Config asi = Graph.Config.train(s.c[2], TrainableRule.all()).withCompression(Map.of("fc", s.basis)).withSubspaceIteration();
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Graph.plan(s.model, asi)).getMessage().contains("ASI compresses convolutions only"));
    }
}
