package org.lance4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.lance4j.compress.LanceConvTest;
import org.lance4j.graph.Graph;
import org.lance4j.graph.Model;
import org.lance4j.graph.ModelSpec;
import org.lance4j.graph.SpecBuilder;
import org.lance4j.graph.TrainableRule;
import org.lance4j.testutil.Assert;
import org.lance4j.testutil.Rnd;

/**
 * GPM's projection g ← g − (g P) Pᵀ on a convolution (D = C·K·K) and a linear layer: equal to the
 * formula evaluated in double on the gradient before projection, orthogonal to P afterwards, other
 * gradients untouched, memory bytes = 4·ΣD·k; a memory naming an untrained layer is refused.
 */
class GradientProjectionTest {
    static ModelSpec net() {
        SpecBuilder b = new SpecBuilder("gpm-net", 2, 7, 7);
        String x = b.relu("r1", b.conv("c1", ModelSpec.INPUT, 5, 3, 1, 0, 1, false));
        x = b.flatten("flat", x);
        b.linear("fc", x, 3, true);
        return b.build();
    }

    @Test
    void projectsOutTheMemoryAndNothingElse() {
        Model m = Model.initialized(net(), 1);
        Graph g = Graph.plan(m, Graph.Config.train(4, TrainableRule.all()));
        SplittableRandom r = new SplittableRandom(2);
        float[] pc = LanceConvTest.orthonormal(18, 4, r), pf = LanceConvTest.orthonormal(125, 7, r);
        GradientProjection gpm = new GradientProjection(g, Map.of("c1", pc, "fc", pf));
        assertEquals(4L * (18 * 4 + 125 * 7), gpm.memoryBytes());
        Rnd rnd = new Rnd(3);
        g.input().copyFrom(rnd.uniform(g.input().size()), 0);
        g.zeroGrads();
        g.forwardTraining();
        g.lossAndGrad(new int[] {0, 1, 2, 1}, 0);
        g.backward();
        float[] wc = g.gradOf(m.param("c1.weight")).toArray(), wf = g.gradOf(m.param("fc.weight")).toArray(), bf = g.gradOf(m.param("fc.bias")).toArray();
        gpm.apply();
        check("conv", wc, g.gradOf(m.param("c1.weight")).toArray(), pc, 5, 18, 4);
        check("linear", wf, g.gradOf(m.param("fc.weight")).toArray(), pf, 3, 125, 7);
        Assert.close("bias untouched", bf, g.gradOf(m.param("fc.bias")).toArray(), 0, 0);
    }

    private static void check(String what, float[] before, float[] after, float[] p, int o, int d, int k) {
        float[] want = new float[before.length];
        double scale = 0;
        for (int i = 0; i < o; i++) {
            double[] gp = new double[k];
            for (int j = 0; j < k; j++) for (int q = 0; q < d; q++) gp[j] += (double) before[i * d + q] * p[q * k + j];
            for (int q = 0; q < d; q++) {
                double v = before[i * d + q];
                for (int j = 0; j < k; j++) v -= gp[j] * p[q * k + j];
                want[i * d + q] = (float) v;
                scale = Math.max(scale, Math.abs(v));
            }
        }
        Assert.close(what + ": g − g P Pᵀ", want, after, 1e-6, 1e-4);
        for (int i = 0; i < o; i++) {
            for (int j = 0; j < k; j++) {
                double dot = 0;
                for (int q = 0; q < d; q++) dot += after[i * d + q] * p[q * k + j];
                assertTrue(Math.abs(dot) < 1e-5 * Math.max(scale, 1e-3), what + ": row " + i + " still has " + dot + " along P column " + j);
            }
        }
    }

    @Test
    void refusesAMemoryForAnUntrainedLayer() {
        Model m = Model.initialized(net(), 1);
        Graph g = Graph.plan(m, Graph.Config.train(2, TrainableRule.lastConvs(0)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new GradientProjection(g, Map.of("c1", new float[18])));
        assertTrue(e.getMessage().contains("'c1'"), e.getMessage());
    }
}
