package org.lance4j.app;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.lance4j.calib.AsiBudgetSearch;
import org.lance4j.calib.Calibrator;
import org.lance4j.compress.ConvBasis;
import org.lance4j.data.BatchLoader;
import org.lance4j.data.Dataset;
import org.lance4j.data.Normalization;
import org.lance4j.graph.Graph;
import org.lance4j.graph.Model;
import org.lance4j.graph.TrainableRule;
import org.lance4j.io.FileFormatException;
import org.lance4j.models.Zoo;
import org.lance4j.train.SgdConfig;

/**
 * The split protocol of the paper's Table 2, on Fashion-MNIST: pretrain each model on classes 0–4
 * (cached), then fine-tune the last N convolutions with groups == 1 plus a new head on classes 5–9 with
 * every method, and record accuracy, both memories, multiply-adds, step latency and the gradient angle.
 * LANCE calibrates on the fine-tuning data (Phase I); ASI's ranks come from its budget search at
 * LANCE's memory for the same N; HOSVD decomposes every step at its own energy.
 */
public final class FinetuneExperiment {
    /**
     * @param pretrainImages / trainImages / testImages  0 = all of the split
     * @param stem                                      null = auto (small below 64 px)
     */
    public record Settings(List<String> models, List<String> methods, List<Integer> layers, int input, Boolean stem, int batch,
                           int pretrainImages, int pretrainEpochs, int trainImages, int testImages, int epochs, double energy,
                           double hosvdEnergy, int calibrationBatches, long seed) {
        public Settings {
            for (String m : methods) {
                if (!List.of("bp", "lance", "hosvd", "asi").contains(m)) throw new IllegalArgumentException("--methods: unknown method '" + m + "'");
            }
            if (methods.contains("asi") && !methods.contains("lance")) {
                throw new IllegalArgumentException("--methods: asi's budget is LANCE's memory, so asi needs lance in the list");
            }
            for (String m : models) {
                if (!Zoo.NAMES.contains(m)) throw new IllegalArgumentException("--models: unknown model '" + m + "' (" + Zoo.NAMES + ")");
            }
            if (layers.isEmpty() || layers.stream().anyMatch(n -> n < 1)) throw new IllegalArgumentException("--layers needs counts ≥ 1");
        }
    }

    /** One fine-tuning run. */
    public record Row(String model, int layers, String method, double accuracy, long paperBytes, long peakBytes, long macsForward,
                      long macsBackward, double forwardMs, double backwardMs, double optimizerMs, double totalMs, double angleDeg,
                      long budgetBytes, double seconds) { }

    /** A pretrained model of the experiment. */
    public record Pretrained(String model, double accuracy, double seconds, boolean cached) { }

    public record Result(List<Pretrained> pretrained, List<Row> rows) { }

    /** Progress lines (stage names), and every finished row. */
    public interface Listener {
        void say(String line);

        default void row(Row r) { }
    }

    private FinetuneExperiment() { }

    public static Result run(Settings s, Path cacheDir, Listener l) throws IOException {
        List<Pretrained> pre = new ArrayList<>();
        List<Row> rows = new ArrayList<>();
        for (String name : s.models()) {
            Models.Loaded m = pretrained(name, s, cacheDir, l, pre);
            Dataset train = limit(m.prepare(org.lance4j.app.DataSpec.parse("fmnist:classes=5-9").loadTrain(m.size())), s.trainImages(), s.seed());
            Dataset test = limit(m.prepare(org.lance4j.app.DataSpec.parse("fmnist:classes=5-9").loadTest(m.size())), s.testImages(), s.seed() + 1);
            int convs = TrainableRule.regularConvs(m.model().spec()).size();
            for (int n : s.layers()) {
                if (n > convs) {
                    l.say(String.format(Locale.ROOT, "%s has %d convolutions with groups == 1; skipping --layers %d", name, convs, n));
                    continue;
                }
                long lanceBytes = -1;
                for (String method : s.methods()) {
                    long t0 = System.nanoTime();
                    Map<String, ConvBasis> bases = Map.of();
                    long budget = -1;
                    switch (method) {
                        case "lance" -> {
                            l.say(String.format(Locale.ROOT, "%s, %d layers: LANCE calibration (ε %s, %d batches)", name, n, s.energy(), s.calibrationBatches()));
                            Map<String, ConvBasis> b = new LinkedHashMap<>();
                            Calibrator.calibrate(m.model(), train, m.normalization(),
                                    new Calibrator.Settings(n, s.energy(), s.calibrationBatches(), s.batch(), false, s.seed()), null)
                                    .forEach((k, v) -> b.put(k, v.basis()));
                            bases = b;
                        }
                        case "asi" -> {
                            budget = lanceBytes;
                            l.say(String.format(Locale.ROOT, "%s, %d layers: ASI budget search at LANCE's %,d bytes", name, n, budget));
                            bases = AsiBudgetSearch.search(m.model(), train, m.normalization(), n, s.batch(), false, budget, s.seed()).bases();
                        }
                        default -> { }
                    }
                    l.say(String.format(Locale.ROOT, "%s, %d layers: fine-tuning with %s (%d images, %d epoch%s)", name, n, method, train.size(),
                            s.epochs(), s.epochs() == 1 ? "" : "s"));
                    FineTune.Result r = FineTune.run(FineTune.withNewHead(m.model(), train.classes(), 7), train, test, m.normalization(),
                            new FineTune.Config(n, s.epochs(), s.batch(), Long.MAX_VALUE, 7, bases, method.equals("asi"),
                                    method.equals("hosvd") ? s.hosvdEnergy() : 0), null);
                    if (method.equals("lance")) lanceBytes = r.paperBytes();
                    Training.EpochReport e = r.run().last();
                    Row row = new Row(name, n, method, e.testAccuracy(), r.paperBytes(), r.measuredPeakBytes(), r.macsForward(), r.macsBackward(),
                            e.forwardMs(), e.backwardMs(), e.optimizerMs(), e.totalMs(), r.gradientAngleDeg(), budget, (System.nanoTime() - t0) / 1e9);
                    rows.add(row);
                    l.row(row);
                }
            }
        }
        return new Result(pre, rows);
    }

    public static Dataset limit(Dataset d, int n, long seed) {
        if (n <= 0 || n >= d.size()) return d;
        return d.shuffled(seed).range(0, n, ":first" + n);
    }

    /** Pretrains on classes 0–4 (or loads the cached model made with the same settings). */
    public static Models.Loaded pretrained(String name, Settings s, Path cacheDir, Listener l, List<Pretrained> out) throws IOException {
        String key = String.format(Locale.ROOT, "%s-fmnist-0-4-in%d-%s-n%d-e%d-b%d-s%d.l4j", name, s.input(),
                s.stem() == null ? "auto" : s.stem() ? "small" : "standard", s.pretrainImages(), s.pretrainEpochs(), s.batch(), s.seed());
        Path file = cacheDir.resolve(key);
        if (Files.exists(file)) {
            try {
                Models.Loaded m = Models.load(file);
                l.say("using the pretrained " + name + " cached at " + file);
                out.add(new Pretrained(name, Double.parseDouble(m.meta().getOrDefault("test_accuracy", "NaN")),
                        Double.parseDouble(m.meta().getOrDefault("train_seconds", "NaN")), true));
                return m;
            } catch (FileFormatException | IllegalArgumentException e) {
                l.say("cached model unusable (" + e.getMessage() + "); pretraining again");
            }
        }
        org.lance4j.app.DataSpec ds = org.lance4j.app.DataSpec.parse("fmnist:classes=0-4");
        Dataset train = limit(ds.loadTrain(s.input()).reshaped(3, s.input(), Dataset.Fit.RESIZE), s.pretrainImages(), s.seed());
        Dataset test = limit(ds.loadTest(s.input()).reshaped(3, s.input(), Dataset.Fit.RESIZE), s.testImages(), s.seed() + 1);
        Normalization norm = train.statistics();
        Model model = Model.initialized(Zoo.build(name, new Zoo.Options(3, s.input(), train.classes(), 1f, s.stem(), 1)), s.seed());
        l.say(String.format(Locale.ROOT, "pretraining %s (%,d parameters) on Fashion-MNIST 0-4: %d images, %d epochs, %d px", name,
                model.parameterCount(), train.size(), s.pretrainEpochs(), s.input()));
        BatchLoader loader = new BatchLoader(train, norm, s.batch(), true, BatchLoader.Augment.NONE, s.seed());
        SgdConfig sgd = new SgdConfig(0.05f, 0.9f, 5e-4f, false, 0f, s.pretrainEpochs() * loader.batchesPerEpoch(), 0f);
        long t0 = System.nanoTime();
        Training.Result r = Training.fit(model, Graph.Config.train(s.batch(), TrainableRule.all()).withSeed(s.seed()), sgd, loader, test, norm,
                s.pretrainEpochs(), 500, null);
        double seconds = (System.nanoTime() - t0) / 1e9;
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("model", name);
        meta.put("data", "fmnist:classes=0-4 (" + train.size() + " images)");
        meta.put("epochs", Integer.toString(s.pretrainEpochs()));
        meta.put("test_accuracy", Double.toString(r.last().testAccuracy()));
        meta.put("train_seconds", String.format(Locale.ROOT, "%.1f", seconds));
        Models.save(file, model, norm, Dataset.Fit.RESIZE, meta);
        l.say(String.format(Locale.ROOT, "pretrained %s: test accuracy %.4f on classes 0-4 (%.0f s)", name, r.last().testAccuracy(), seconds));
        out.add(new Pretrained(name, r.last().testAccuracy(), seconds, false));
        return Models.load(file);
    }
}
