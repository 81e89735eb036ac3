package org.lance4j.app;

import org.lance4j.data.BatchLoader;
import org.lance4j.data.Dataset;
import org.lance4j.data.Normalization;
import org.lance4j.graph.Graph;
import org.lance4j.graph.Model;
import org.lance4j.tensor.Tensor;
import org.lance4j.train.Sgd;
import org.lance4j.train.SgdConfig;
import org.lance4j.train.StepTimer;
import org.lance4j.train.Trainer;

/**
 * Epoch loops for pretraining and fine-tuning, and evaluation. Console-free: progress goes to a
 * {@link Listener} (a terminal bar, an agent forwarding over MQTT, a test); cancellation is a flag
 * the listener can raise.
 */
public final class Training {
    /** Progress and results; all methods default to doing nothing. */
    public interface Listener {
        default void batch(int epoch, int epochs, int batch, int batches, double loss, double acc) { }

        default void epoch(EpochReport r) { }

        /** Polled between batches; true stops the run after the current batch. */
        default boolean cancelled() {
            return false;
        }
    }

    /** One epoch: mean training loss and accuracy, test accuracy, wall time and step medians (ms). */
    public record EpochReport(int epoch, int epochs, double trainLoss, double trainAccuracy, double testAccuracy, double seconds,
                              double forwardMs, double backwardMs, double optimizerMs, double totalMs, float learningRate) { }

    /** The result of a run: the reports, the measured peak of the backward-held arena and the graph used. */
    public record Result(EpochReport[] epochs, long peakBackwardBytes, Graph graph, Trainer trainer) {
        public EpochReport last() {
            return epochs[epochs.length - 1];
        }
    }

    private Training() { }

    /** Trains for {@code epochs} epochs; the schedule ticks once per step (give its period in steps). */
    public static Result fit(Model model, Graph.Config cfg, SgdConfig sgdCfg, BatchLoader train, Dataset test,
                             Normalization norm, int epochs, int evalBatch, Listener l) {
        return fit(model, cfg, sgdCfg, train, test, norm, epochs, evalBatch, l, g -> null);
    }

    /** @param projection GPM's gradient projection for the planned graph (null from the function: none) */
    public static Result fit(Model model, Graph.Config cfg, SgdConfig sgdCfg, BatchLoader train, Dataset test,
                             Normalization norm, int epochs, int evalBatch, Listener l,
                             java.util.function.Function<Graph, org.lance4j.train.GradientProjection> projection) {
        Graph g = Graph.plan(model, cfg.withBatch(train.batchShape().dim(0)));
        int batches = train.batchesPerEpoch();
        Sgd sgd = new Sgd(g, sgdCfg);
        Trainer t = new Trainer(g, sgd, Math.max(16, Math.min(batches, 512)), projection.apply(g));
        EpochReport[] reports = new EpochReport[epochs];
        int classes = g.output().shape.dim(1);
        int[] pred = new int[train.batchShape().dim(0)];
        int done = 0;
        for (int e = 0; e < epochs; e++) {
            long t0 = System.nanoTime();
            train.startEpoch();
            t.timer().reset();
            double lossSum = 0;
            long correct = 0, seen = 0;
            int b = 0;
            float lr = sgd.learningRate();
            while (train.hasNext()) {
                train.next();
                double loss = t.step(train.images(), 0, train.batchShape(), train.labels(), 0);
                sgd.tickSchedule();
                lossSum += loss;
                correct += countCorrect(g.output(), classes, train.labels(), pred);
                seen += train.labels().length;
                b++;
                if (l != null) {
                    l.batch(e + 1, epochs, b, batches, lossSum / b, (double) correct / seen);
                    if (l.cancelled()) break;
                }
            }
            double acc = test == null ? Double.NaN : evaluate(model, test, norm, evalBatch, cfg.output());
            StepTimer tm = t.timer();
            reports[e] = new EpochReport(e + 1, epochs, lossSum / Math.max(1, b), (double) correct / Math.max(1, seen), acc,
                    (System.nanoTime() - t0) / 1e9, tm.medianMs(StepTimer.Part.FORWARD), tm.medianMs(StepTimer.Part.BACKWARD),
                    tm.medianMs(StepTimer.Part.OPTIMIZER), tm.medianTotalMs(), lr);
            done = e + 1;
            if (l != null) {
                l.epoch(reports[e]);
                if (l.cancelled()) break;
            }
        }
        EpochReport[] out = done == epochs ? reports : java.util.Arrays.copyOf(reports, done);
        return new Result(out, g.held().peakBytes(), g, t);
    }

    /** Top-1 accuracy over every item of a dataset (eval mode: running BN statistics, no dropout). */
    public static double evaluate(Model model, Dataset data, Normalization norm, int batch, String output) {
        int n = data.size();
        int b = Math.min(batch, n);
        Graph g = Graph.plan(model, Graph.Config.inference(b).withOutput(output));
        long correct = 0;
        int[] labels = new int[b], pred = new int[b];
        int classes = g.output().shape.dim(1);
        for (int from = 0; from < n; from += b) {
            int count = Math.min(b, n - from);
            if (count != b) {
                g = g.replan(count);
                labels = new int[count];
                pred = new int[count];
            }
            BatchLoader.fill(data, norm, from, count, g.input().data, g.input().offset, labels);
            g.forwardInference();
            correct += countCorrect(g.output(), classes, labels, pred);
        }
        return (double) correct / n;
    }

    static int countCorrect(Tensor logits, int classes, int[] labels, int[] pred) {
        int c = 0;
        for (int i = 0; i < labels.length; i++) {
            int best = 0;
            float bv = logits.get(i * classes);
            for (int j = 1; j < classes; j++) {
                float v = logits.get(i * classes + j);
                if (v > bv) {
                    bv = v;
                    best = j;
                }
            }
            pred[i] = best;
            if (best == labels[i]) c++;
        }
        return c;
    }
}
