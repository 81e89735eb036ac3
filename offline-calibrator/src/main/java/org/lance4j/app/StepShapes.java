package org.lance4j.app;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.lance4j.graph.Graph;
import org.lance4j.graph.Model;
import org.lance4j.graph.TrainableRule;
import org.lance4j.kernel.Gemm;
import org.lance4j.models.Zoo;
import org.lance4j.tensor.Shape;
import org.lance4j.train.Sgd;
import org.lance4j.train.SgdConfig;
import org.lance4j.train.Trainer;

/**
 * The GEMM shapes a zoo model's training step produces, read off a real step through {@link Gemm#trace}:
 * pretraining (every parameter trained, BN in train mode) and fine-tuning (the last N convolutions and
 * the head, BN frozen), full backprop. Each distinct (form, M, N, K, accumulate) is listed once with
 * its calls per step and where it came from.
 */
public final class StepShapes {
    /** A GEMM call's form ("nn", "nt", "tn") and shape. */
    public record GemmShape(String form, int m, int n, int k, boolean acc) {
        public long macs() {
            return (long) m * n * k;
        }

        @Override
        public String toString() {
            return form + " " + m + "×" + n + "×" + k + (acc ? " +=" : "");
        }
    }

    /** Calls per step of one shape, and the (model, phase) steps it occurred in. */
    public static final class Use {
        public long calls;
        public final java.util.LinkedHashSet<String> where = new java.util.LinkedHashSet<>();
    }

    private StepShapes() { }

    /** Shapes of one step of each model and phase ("pretrain", "finetune"), merged. */
    public static Map<GemmShape, Use> collect(List<String> models, int batch, int input, int fineTuneLayers, long seed) {
        Map<GemmShape, Use> out = new LinkedHashMap<>();
        for (String name : models) {
            Model m = Model.initialized(Zoo.build(name, new Zoo.Options(3, input, 10, 1f, null, 1)), seed);
            record(m, Graph.Config.train(batch, TrainableRule.all()), name + " pretrain", batch, input, seed, out);
            record(m, FineTune.graphConfig(new FineTune.Config(fineTuneLayers, 1, batch, Long.MAX_VALUE, seed, Map.of(), false, 0, false)),
                    name + " finetune", batch, input, seed, out);
        }
        return out;
    }

    private static void record(Model m, Graph.Config cfg, String where, int batch, int input, long seed, Map<GemmShape, Use> out) {
        Graph g = Graph.plan(m.copy(), cfg);
        Trainer t = new Trainer(g, new Sgd(g, new SgdConfig(0.01f, 0.9f, 0f, false, 0f, 0, 0f)), 1);
        float[] x = new float[batch * 3 * input * input];
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        int[] y = new int[batch];
        for (int i = 0; i < batch; i++) y[i] = i % 10;
        Map<GemmShape, Long> calls = new LinkedHashMap<>();
        Gemm.trace((a, b, mm, n, k, acc) -> calls.merge(new GemmShape("" + a + b, mm, n, k, acc), 1L, Long::sum));
        try {
            t.step(x, 0, Shape.of(batch, 3, input, input), y, 0);
        } finally {
            Gemm.trace(null);
        }
        calls.forEach((s, c) -> {
            Use u = out.computeIfAbsent(s, q -> new Use());
            u.calls += c;
            u.where.add(where);
        });
    }
}
