package org.lance4j.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.lance4j.kernel.Vec;
import org.lance4j.tensor.Shape;
import org.lance4j.testutil.Assert;
import org.lance4j.testutil.GoldenState;
import org.lance4j.train.Sgd;
import org.lance4j.train.SgdConfig;

/**
 * The whole engine against PyTorch 1.13 on a small residual CNN (BN, depthwise conv, ReLU6, max
 * pooling, global pooling, head): logits, loss, every parameter gradient by name, the losses of 5
 * SGD steps with momentum, weight decay and clipping, the parameters and running statistics after
 * them, and the fine-tuning recipe (BN frozen, last 2 convs + head). Prints the largest absolute and
 * relative error per tensor. Fixture: tools/make_golden_state.py.
 */
class GoldenStateTest {
    /** Float32 forward of a few layers in another summation order (measured: ≤ 6e-7 abs). */
    static final double LOGIT_ATOL = 3e-6, LOGIT_RTOL = 1e-5;
    /** Gradients pass through BN's batch statistics, which amplify rounding (measured: ≤ 3e-7 abs). */
    static final double GRAD_ATOL = 2e-6, GRAD_RTOL = 2e-4;
    /** Five steps compound rounding of the above (measured: ≤ 2e-7 abs). */
    static final double STEP_ATOL = 2e-6, STEP_RTOL = 2e-4;
    static final double LOSS_TOL = 1e-5;

    static GoldenState gs;
    static ModelSpec spec;
    static final List<String> report = new ArrayList<>();

    @BeforeAll
    static void load() throws Exception {
        gs = GoldenState.read("/golden/golden-state-v1.bin");
        spec = ModelSpec.parse(gs.spec);
    }

    private Model freshModel() {
        Model m = new Model(spec);
        for (Param p : m.params()) {
            GoldenState.Entry e = gs.get("init/" + p.name());
            m.load(p.name(), e.shape(), e.data());
        }
        assertEquals(m.params().size(), gs.tensors.keySet().stream().filter(k -> k.startsWith("init/")).count(),
                "every PyTorch tensor maps to a lance4j parameter");
        return m;
    }

    private int[] labels() {
        float[] l = gs.get("labels").data();
        int[] y = new int[l.length];
        for (int i = 0; i < l.length; i++) y[i] = (int) l[i];
        return y;
    }

    private void compare(String name, float[] expected, float[] actual, double atol, double rtol) {
        double maxAbs = 0, maxRel = 0;
        for (int i = 0; i < expected.length; i++) {
            double d = Math.abs(expected[i] - actual[i]);
            maxAbs = Math.max(maxAbs, d);
            maxRel = Math.max(maxRel, d / Math.max(Math.abs(expected[i]), 1e-3));
        }
        String line = String.format("%-28s max abs %.3e  max rel %.3e", name, maxAbs, maxRel);
        report.add(line);
        System.out.println("golden [" + Vec.describe() + "] " + line);
        Assert.close(name, expected, actual, atol, rtol);
    }

    @Test
    void fullTrainingStepsMatchPyTorch() {
        Model m = freshModel();
        GoldenState.Entry x = gs.get("input");
        int b = x.shape().dim(0);
        Graph g = Graph.plan(m, Graph.Config.train(b, TrainableRule.all()));
        assertEquals(m.params().stream().filter(Param::trainableKind).count(), g.trainable().size());
        int[] y = labels();
        Sgd sgd = new Sgd(g, new SgdConfig(0.05f, 0.9f, 1e-4f, false, 2.0f, 0, 1f));
        float[] losses = gs.get("train/losses").data();
        for (int step = 0; step < losses.length; step++) {
            g.setInput(x.data(), 0, x.shape());
            g.zeroGrads();
            g.forwardTraining();
            double loss = g.lossAndGrad(y, 0);
            g.backward();
            if (step == 0) {
                compare("train/logits", gs.get("train/logits").data(), g.output().toArray(), LOGIT_ATOL, LOGIT_RTOL);
                assertEquals(gs.get("train/loss").data()[0], loss, LOSS_TOL, "loss");
                for (Param p : g.trainable()) {
                    compare("train/grad/" + p.name(), gs.get("train/grad/" + p.name()).data(), g.gradOf(p).toArray(),
                            GRAD_ATOL, GRAD_RTOL);
                }
            }
            assertEquals(losses[step], loss, 10 * LOSS_TOL, "loss before step " + step);
            sgd.step();
        }
        for (Param p : m.params()) {
            compare("train/final/" + p.name(), gs.get("train/final/" + p.name()).data(), p.value().toArray(), STEP_ATOL, STEP_RTOL);
        }
    }

    @Test
    void fineTuningRecipeMatchesPyTorch() {
        Model m = freshModel();
        GoldenState.Entry x = gs.get("input");
        Graph g = Graph.plan(m, Graph.Config.train(x.shape().dim(0), TrainableRule.lastConvs(2)).withFrozenBatchNorm());
        assertEquals(List.of("conv3", "conv4", "fc"), List.copyOf(g.trainedNodes()));
        g.setInput(x.data(), 0, x.shape());
        g.zeroGrads();
        g.forwardTraining();
        double loss = g.lossAndGrad(labels(), 0);
        g.backward();
        compare("ft/logits", gs.get("ft/logits").data(), g.output().toArray(), LOGIT_ATOL, LOGIT_RTOL);
        assertEquals(gs.get("ft/loss").data()[0], loss, LOSS_TOL, "fine-tuning loss");
        int grads = 0;
        for (Map.Entry<String, GoldenState.Entry> e : gs.tensors.entrySet()) {
            if (!e.getKey().startsWith("ft/grad/")) continue;
            Param p = m.param(e.getKey().substring("ft/grad/".length()));
            compare(e.getKey(), e.getValue().data(), g.gradOf(p).toArray(), GRAD_ATOL, GRAD_RTOL);
            grads++;
        }
        assertEquals(g.trainable().size(), grads, "PyTorch and lance4j train the same parameters");
        // frozen prefix: conv1/bn1/relu1/conv2... are before conv3 and do no backward work
        assertTrue(!g.onBackwardPath("conv2") && !g.onBackwardPath("relu1") && g.onBackwardPath("dw"));
        Shape inputShape = x.shape();
        assertEquals(4, inputShape.rank());
    }
}
