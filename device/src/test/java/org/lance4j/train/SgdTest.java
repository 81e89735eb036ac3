package org.lance4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.lance4j.graph.Graph;
import org.lance4j.graph.Model;
import org.lance4j.graph.ModelSpec;
import org.lance4j.graph.SpecBuilder;
import org.lance4j.graph.TrainableRule;
import org.lance4j.tensor.Tensor;

/** The optimizer against hand-computed PyTorch semantics; the cosine schedule; clipping. */
class SgdTest {
    static final double TOL = 1e-6;

    @Test
    void cosineScheduleMatchesClosedForm() {
        SgdConfig c = SgdConfig.paperFineTuning(50);
        assertEquals(0.05, c.lrAt(0), TOL);
        assertEquals(0.0005 + (0.05 - 0.0005) / 2, c.lrAt(25), TOL);
        assertEquals(0.0005, c.lrAt(50), TOL);
        assertEquals(0.0005, c.lrAt(70), TOL, "stays at the minimum past the period");
        assertThrows(IllegalArgumentException.class, () -> new SgdConfig(0f, 0.9f, 0, false, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new SgdConfig(0.1f, 1f, 0, false, 0, 0, 0));
    }

    @Test
    void momentumWeightDecayAndClippingAsPyTorch() {
        SpecBuilder b = new SpecBuilder("lin", 2, 1, 1);
        b.linear("fc", b.flatten("f", ModelSpec.INPUT), 1, false);
        Model m = new Model(b.build());
        Tensor w = m.param("fc.weight").value();
        w.set(0, 1f);
        w.set(1, -2f);
        Graph g = Graph.plan(m, Graph.Config.train(1, TrainableRule.all()));
        Sgd sgd = new Sgd(g, new SgdConfig(0.1f, 0.9f, 0.01f, false, 1.0f, 0, 1f));
        Tensor dw = g.gradOf(m.param("fc.weight"));
        // step 1: grad (3, 4), norm 5 > 1 → clipped by 1/(5 + 1e-6)
        dw.set(0, 3f);
        dw.set(1, 4f);
        sgd.step();
        double c = 1.0 / (5 + 1e-6);
        double d0 = 3 * c + 0.01 * 1, d1 = 4 * c + 0.01 * -2;
        double w0 = 1 - 0.1 * d0, w1 = -2 - 0.1 * d1;
        assertEquals(w0, w.get(0), TOL);
        assertEquals(w1, w.get(1), TOL);
        assertEquals(5.0, sgd.lastGradNorm(), TOL);
        // step 2: small grad, not clipped; buf = 0.9·buf + d
        dw.set(0, 0.1f);
        dw.set(1, 0.2f);
        sgd.step();
        double e0 = 0.1 + 0.01 * w0, e1 = 0.2 + 0.01 * w1;
        assertEquals(w0 - 0.1 * (0.9 * d0 + e0), w.get(0), TOL);
        assertEquals(w1 - 0.1 * (0.9 * d1 + e1), w.get(1), TOL);
    }
}
