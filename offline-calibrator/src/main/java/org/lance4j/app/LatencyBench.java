package org.lance4j.app;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.lance4j.calib.Calibrator;
import org.lance4j.compress.ConvBasis;
import org.lance4j.data.BatchLoader;
import org.lance4j.data.Dataset;
import org.lance4j.data.Normalization;
import org.lance4j.graph.Graph;
import org.lance4j.graph.Model;
import org.lance4j.graph.TrainableRule;
import org.lance4j.train.Sgd;
import org.lance4j.train.SgdConfig;
import org.lance4j.train.StepTimer;
import org.lance4j.train.Trainer;

/**
 * Step latency against the number of trained layers (the paper times this on a Raspberry Pi): for
 * each N in 1..max, plan every method's fine-tuning graph of the last N convolutions plus the head,
 * run warm-up steps, then time forward, backward and optimizer over real batches with the methods'
 * steps interleaved (one step of each in turn, the same batch), and keep the medians. LANCE's bases come from one calibration of the last max convolutions (a layer's bases do
 * not depend on N); ASI starts from the same bases (so it has LANCE's ranks and memory) and refreshes
 * them every step; HOSVD decomposes every step at its own energy.
 */
public final class LatencyBench {
    public record Settings(int maxLayers, int batch, int warmup, int steps, double energy, double hosvdEnergy, int calibrationBatches,
                           List<String> methods, long seed) {
        public Settings {
            if (maxLayers < 1) throw new IllegalArgumentException("--max-layers must be ≥ 1, got " + maxLayers);
            if (steps < 1) throw new IllegalArgumentException("--steps must be ≥ 1, got " + steps);
            if (warmup < 0) throw new IllegalArgumentException("--warmup must be ≥ 0, got " + warmup);
            for (String m : methods) {
                if (!List.of("bp", "lance", "hosvd", "asi").contains(m)) {
                    throw new IllegalArgumentException("--methods: unknown method '" + m + "' (use bp, lance, hosvd, asi)");
                }
            }
        }
    }

    /** One (method, N) point: medians in ms, paper-metric bytes (LANCE/ASI: core + factors), measured peak, MACs. */
    public record Point(String method, int layers, double forwardMs, double backwardMs, double optimizerMs, double totalMs,
                        long paperBytes, long peakBytes, long macsForward, long macsBackward) { }

    /** Progress: one call per point. */
    public interface Listener {
        void point(Point p);
    }

    private LatencyBench() { }

    public static List<Point> run(Model model, Dataset data, Normalization norm, Settings s, Listener l) {
        int convs = TrainableRule.regularConvs(model.spec()).size();
        int max = Math.min(s.maxLayers(), convs);
        Map<String, ConvBasis> all = new LinkedHashMap<>();
        if (s.methods().contains("lance") || s.methods().contains("asi")) {
            Calibrator.calibrate(model, data, norm, new Calibrator.Settings(max, s.energy(), s.calibrationBatches(), s.batch(), false, s.seed()), null)
                    .forEach((k, v) -> all.put(k, v.basis()));
        }
        List<String> order = new ArrayList<>(all.keySet());
        List<Point> out = new ArrayList<>();
        BatchLoader loader = new BatchLoader(data, norm, s.batch(), true, BatchLoader.Augment.NONE, s.seed());
        float[] weights = model.storage().clone();
        int k = s.methods().size();
        for (int n = 1; n <= max; n++) {
            // every method's graph for this N side by side; steps interleaved round-robin, so a slow spell of a
            // shared machine hits all methods alike instead of whichever ran then
            Graph[] graphs = new Graph[k];
            Trainer[] trainers = new Trainer[k];
            FineTune.Config[] configs = new FineTune.Config[k];
            for (int m = 0; m < k; m++) {
                String method = s.methods().get(m);
                Map<String, ConvBasis> bases = new LinkedHashMap<>();
                if (method.equals("lance") || method.equals("asi")) {
                    for (String node : order.subList(order.size() - n, order.size())) bases.put(node, all.get(node));
                }
                configs[m] = new FineTune.Config(n, 1, s.batch(), Long.MAX_VALUE, s.seed(), bases, method.equals("asi"),
                        method.equals("hosvd") ? s.hosvdEnergy() : 0);
                graphs[m] = Graph.plan(model, FineTune.graphConfig(configs[m]));
                // the paper's recipe, so the optimizer's time is real; the weights are restored after each N
                trainers[m] = new Trainer(graphs[m], new Sgd(graphs[m], new SgdConfig(0.05f, 0.9f, 1e-4f, false, 2.0f, 0, 0.01f)), s.steps());
            }
            for (int i = 0; i < s.warmup() + s.steps(); i++) {
                if (!loader.hasNext()) loader.startEpoch();
                loader.next();
                for (int m = 0; m < k; m++) {
                    if (i == s.warmup()) trainers[m].timer().reset();
                    trainers[m].step(loader.images(), 0, loader.batchShape(), loader.labels(), 0);
                }
            }
            for (int m = 0; m < k; m++) {
                StepTimer tm = trainers[m].timer();
                Graph g = graphs[m];
                Point p = new Point(s.methods().get(m), n, tm.medianMs(StepTimer.Part.FORWARD), tm.medianMs(StepTimer.Part.BACKWARD),
                        tm.medianMs(StepTimer.Part.OPTIMIZER), tm.medianTotalMs(), FineTune.paperBytes(model, g, configs[m]), g.held().peakBytes(),
                        g.macsForward(), g.macsBackward());
                out.add(p);
                if (l != null) l.point(p);
            }
            System.arraycopy(weights, 0, model.storage(), 0, weights.length);
        }
        return out;
    }
}
