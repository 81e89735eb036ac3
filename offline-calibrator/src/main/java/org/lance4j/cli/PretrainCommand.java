package org.lance4j.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.lance4j.app.DataSpec;
import org.lance4j.app.Models;
import org.lance4j.app.Progress;
import org.lance4j.app.Training;
import org.lance4j.data.BatchLoader;
import org.lance4j.data.Dataset;
import org.lance4j.data.Normalization;
import org.lance4j.graph.Graph;
import org.lance4j.graph.Model;
import org.lance4j.graph.TrainableRule;
import org.lance4j.models.Zoo;
import org.lance4j.train.SgdConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Trains a zoo model from scratch on a data source and writes a model file. */
@Command(name = "pretrain", description = "Train a model from scratch and write a model file.")
final class PretrainCommand extends ThreadedCommand {

    @Option(names = "--model", description = "Architecture: ${COMPLETION-CANDIDATES}; default ${DEFAULT-VALUE}.",
            defaultValue = Zoo.DEFAULT, completionCandidates = ModelNames.class)
    String model;

    @Option(names = "--data", required = true, description = "Training data, e.g. fmnist, fmnist:classes=0-4, cifar10:DIR, folder:DIR.")
    String data;

    @Option(names = "--test-data", description = "Data to report test accuracy on (default: the source's test split or a 1/6 hold-out).")
    String testData;

    @Option(names = "--epochs", defaultValue = "5", description = "Epochs (default ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--out", required = true, description = "Model file to write (atomically).")
    Path out;

    @Option(names = "--input", description = "Input size S (images resized to S×S; default: the data's own size).")
    Integer input;

    @Option(names = "--channels", description = "Input channels of the model (1 or 3; default: the data's).")
    Integer channels;

    @Option(names = "--pad", description = "Zero-pad images to --input instead of resizing them.")
    boolean pad;

    @Option(names = "--batch", defaultValue = "64", description = "Batch size (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--lr", defaultValue = "0.05", description = "Initial learning rate, cosine-decayed to 0 (default ${DEFAULT-VALUE}).")
    float lr;

    @Option(names = "--weight-decay", defaultValue = "5e-4", description = "Weight decay (default ${DEFAULT-VALUE}).")
    float weightDecay;

    @Option(names = "--width", defaultValue = "1", description = "Width multiplier for mobilenetv2/mcunet (default ${DEFAULT-VALUE}).")
    float width;

    @Option(names = "--stem", defaultValue = "auto", description = "resnet/mobilenetv2 stem: small (stride 1, the CIFAR adaptation), standard "
            + "(torchvision's), or auto (small below 64 px; default ${DEFAULT-VALUE}).")
    String stem;

    @Option(names = "--augment", defaultValue = "none", description = "none, flip, crop or flip+crop (default ${DEFAULT-VALUE}).")
    String augment;

    @Option(names = "--seed", defaultValue = "233", description = "Seed for initialization, shuffling and augmentation.")
    long seed;

    @Option(names = "--json", description = "Print exactly one JSON object on stdout.")
    boolean json;

    @Override
    Integer callOnThreads() throws Exception {
        Map<String, Object> r = run(model, data, testData, epochs, out, input, channels, pad, batch, lr, weightDecay, width, stem(stem), augment,
                seed, new Progress("pretrain", json));
        Output.print(json, r, () -> String.format(Locale.ROOT,
                "pretrained %s (%,d parameters) on %s for %d epochs in %.0f s: test accuracy %.4f%nwrote %s",
                r.get("model"), r.get("parameters"), r.get("data"), epochs, r.get("train_seconds"), r.get("test_accuracy"), out));
        return 0;
    }

    /** --stem: null for auto. */
    static Boolean stem(String s) {
        return switch (s) {
            case "auto" -> null;
            case "small" -> Boolean.TRUE;
            case "standard" -> Boolean.FALSE;
            default -> throw new IllegalArgumentException("--stem " + s + ": use auto, small or standard");
        };
    }

    static BatchLoader.Augment augmentation(String a) {
        return switch (a) {
            case "none" -> BatchLoader.Augment.NONE;
            case "flip" -> new BatchLoader.Augment(true, 0);
            case "crop" -> new BatchLoader.Augment(false, 4);
            case "flip+crop", "crop+flip" -> new BatchLoader.Augment(true, 4);
            default -> throw new IllegalArgumentException("--augment " + a + ": use none, flip, crop or flip+crop");
        };
    }

    /** Shared with the demo. */
    static Map<String, Object> run(String model, String data, String testData, int epochs, Path out, Integer input, Integer channels,
                                   boolean pad, int batch, float lr, float wd, float width, Boolean smallInput, String augment, long seed,
                                   Training.Listener listener) throws Exception {
        if (epochs < 1) throw new IllegalArgumentException("--epochs must be ≥ 1, got " + epochs);
        DataSpec ds = DataSpec.parse(data);
        int folderSize = input != null ? input : DataSpec.FOLDER_SIZE_DEFAULT;
        Dataset train = ds.loadTrain(folderSize);
        Dataset test = testData != null ? DataSpec.parse(testData).loadForEvaluation(folderSize) : ds.loadTest(folderSize);
        int c = channels != null ? channels : train.itemShape().dim(0);
        int s = input != null ? input : train.itemShape().dim(1);
        Dataset.Fit fit = pad ? Dataset.Fit.PAD : Dataset.Fit.RESIZE;
        train = train.reshaped(c, s, fit);
        test = test.reshaped(c, s, fit);
        if (test.classes() != train.classes()) {
            throw new IllegalArgumentException("--test-data has " + test.classes() + " classes but --data has " + train.classes());
        }
        Normalization norm = train.statistics();
        Model m = Model.initialized(Zoo.build(model, new Zoo.Options(c, s, train.classes(), width, smallInput, 1)), seed);
        BatchLoader loader = new BatchLoader(train, norm, batch, true, augmentation(augment), seed);
        SgdConfig sgd = new SgdConfig(lr, 0.9f, wd, false, 0f, epochs * loader.batchesPerEpoch(), 0f);
        long t0 = System.nanoTime();
        Training.Result res = Training.fit(m, Graph.Config.train(batch, TrainableRule.all()).withSeed(seed), sgd, loader, test, norm,
                epochs, 500, listener);
        double seconds = (System.nanoTime() - t0) / 1e9;
        double acc = res.last().testAccuracy();
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("model", model);
        meta.put("width", Float.toString(width));
        meta.put("stem", smallInput == null ? "auto" : smallInput ? "small" : "standard");
        meta.put("data", data);
        meta.put("test_data", test.name());
        meta.put("seed", Long.toString(seed));
        meta.put("epochs", Integer.toString(res.epochs().length));
        meta.put("batch", Integer.toString(batch));
        meta.put("lr", Float.toString(lr));
        meta.put("augment", augment);
        meta.put("test_accuracy", Double.toString(acc));
        meta.put("train_seconds", String.format(Locale.ROOT, "%.1f", seconds));
        Models.save(out, m, norm, fit, meta);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("model", model);
        r.put("parameters", m.parameterCount());
        r.put("data", data);
        r.put("test_accuracy", acc);
        r.put("train_seconds", seconds);
        r.put("out", out.toString());
        r.put("epochs", Output.epochs(res.epochs()));
        return r;
    }
}
