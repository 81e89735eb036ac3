package org.lance4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.lance4j.app.DataSpec;
import org.lance4j.app.FashionMnist;
import org.lance4j.app.FineTune;
import org.lance4j.app.Models;
import org.lance4j.app.PaperMemory;
import org.lance4j.app.Progress;
import org.lance4j.app.Training;
import org.lance4j.calib.Calibrator;
import org.lance4j.io.BasisFile;
import org.lance4j.data.Dataset;
import org.lance4j.io.FileFormatException;
import org.lance4j.models.Zoo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The main job on embedded defaults: pretrain the default small model on Fashion-MNIST classes 0–4
 * (cached after the first run), then fine-tune its last 2 convolutions and a new head on classes 5–9
 * with full backprop, with LANCE (calibrated on classes 5–9), with HOSVD (ε 0.8, every step) and with
 * ASI (ranks searched for LANCE's memory), and report accuracy, activation memory (paper metric and measured peak), the gradient angle
 * and step latency side by side.
 */
@Command(name = "demo", description = "Pretrain on Fashion-MNIST 0-4 (cached); fine-tune on 5-9 with bp, lance, hosvd and asi; compare accuracy, memory, latency.")
final class DemoCommand extends ThreadedCommand {

    @Option(names = "--pretrain-epochs", defaultValue = "3", description = "Pretraining epochs (default ${DEFAULT-VALUE}).")
    int pretrainEpochs;

    @Option(names = "--epochs", defaultValue = "2", description = "Fine-tuning epochs (default ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--layers", defaultValue = "2", description = "Fine-tune the last N convolutions (default ${DEFAULT-VALUE}).")
    int layers;

    @Option(names = "--batch", defaultValue = "64", description = "Batch size (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--energy", defaultValue = "0.7", description = "LANCE energy threshold ε (default ${DEFAULT-VALUE}).")
    double energy;

    @Option(names = "--calibration-batches", defaultValue = "100", description = "LANCE calibration batches K (default ${DEFAULT-VALUE}).")
    int calibrationBatches;

    @Option(names = "--hosvd-energy", defaultValue = "0.8", description = "HOSVD energy threshold ε (default ${DEFAULT-VALUE}, the peers').")
    double hosvdEnergy;

    @Option(names = "--retrain", description = "Pretrain again even when a cached model exists.")
    boolean retrain;

    @Option(names = "--json", description = "Print exactly one JSON object on stdout.")
    boolean json;

    @Override
    Integer callOnThreads() throws Exception {
        long t0 = System.nanoTime();
        String model = Zoo.DEFAULT;
        Path cached = FashionMnist.cacheRoot().resolve("demo").resolve(model + "-fmnist-0-4-e" + pretrainEpochs + ".l4j");
        Models.Loaded pre = null;
        if (!retrain && Files.exists(cached)) {
            try {
                pre = Models.load(cached);
                say("using the pretrained model cached at " + cached + " (--retrain to train it again)");
            } catch (FileFormatException | IllegalArgumentException e) {
                say("cached model unusable (" + e.getMessage() + "); pretraining again");
            }
        }
        if (pre == null) {
            say("1/5 pretraining " + model + " on Fashion-MNIST classes 0-4 (" + pretrainEpochs + " epochs) ...");
            PretrainCommand.run(model, "fmnist:classes=0-4", null, pretrainEpochs, cached, null, null, false, batch, 0.05f, 5e-4f, 1f, null,
                    "none", 233, new Progress("pretrain", json));
            pre = Models.load(cached);
        }
        double preAcc = Double.parseDouble(pre.meta().getOrDefault("test_accuracy", "NaN"));

        DataSpec b = DataSpec.parse("fmnist:classes=5-9");
        Dataset train = pre.prepare(b.loadTrain(pre.size()));
        Dataset test = pre.prepare(b.loadTest(pre.size()));

        say("2/5 fine-tuning the last " + layers + " convolutions + a new head on classes 5-9 with full backprop (" + epochs + " epochs) ...");
        FineTune.Result bp = FineTune.run(FineTune.withNewHead(pre.model(), train.classes(), 7), train, test, pre.normalization(),
                new FineTune.Config(layers, epochs, batch, Long.MAX_VALUE, 7, Map.of(), false, 0), new Progress("finetune bp", json));

        say("3/5 LANCE: calibrating on classes 5-9 (ε = " + energy + ", " + calibrationBatches + " batches), then fine-tuning the same way ...");
        Path basisFile = cached.resolveSibling(model + "-fmnist-5-9-l" + layers + "-b" + batch + ".l4jb");
        Map<String, Object> cal = CalibrateCommand.run(cached, "fmnist:classes=5-9",
                new Calibrator.Settings(layers, energy, calibrationBatches, batch, false, 233), basisFile, json);
        say((String) cal.remove("report"));
        FineTune.Result lance = FineTune.run(FineTune.withNewHead(pre.model(), train.classes(), 7), train, test, pre.normalization(),
                new FineTune.Config(layers, epochs, batch, Long.MAX_VALUE, 7, BasisFile.read(basisFile).layers(), false, 0), new Progress("finetune lance", json));

        say("4/5 HOSVD: decomposing every batch (ε = " + hosvdEnergy + "), fine-tuning the same way ...");
        FineTune.Result hosvd = FineTune.run(FineTune.withNewHead(pre.model(), train.classes(), 7), train, test, pre.normalization(),
                new FineTune.Config(layers, epochs, batch, Long.MAX_VALUE, 7, Map.of(), false, hosvdEnergy), new Progress("finetune hosvd", json));

        say("5/5 ASI at LANCE's memory: budget search for " + lance.paperBytes() + " bytes, then fine-tuning the same way ...");
        Path asiFile = cached.resolveSibling(model + "-fmnist-5-9-l" + layers + "-b" + batch + "-asi.l4jb");
        Map<String, Object> asiCal = CalibrateCommand.runAsi(cached, "fmnist:classes=5-9", layers, batch, false, lance.paperBytes(), 233, asiFile);
        say((String) asiCal.remove("report"));
        FineTune.Result asi = FineTune.run(FineTune.withNewHead(pre.model(), train.classes(), 7), train, test, pre.normalization(),
                new FineTune.Config(layers, epochs, batch, Long.MAX_VALUE, 7, BasisFile.read(asiFile).layers(), true, 0), new Progress("finetune asi", json));
        double seconds = (System.nanoTime() - t0) / 1e9;

        Map<String, Object> out = new LinkedHashMap<>();
        out.put("model", model);
        out.put("pretrain_test_accuracy", preAcc);
        out.put("layers", layers);
        out.put("batch", batch);
        out.put("epochs", epochs);
        out.put("energy", energy);
        Map<String, Object> methods = new LinkedHashMap<>();
        methods.put("bp", summary(bp));
        methods.put("lance", summary(lance));
        methods.put("hosvd", summary(hosvd));
        methods.put("asi", summary(asi));
        out.put("methods", methods);
        // top level: LANCE, the method this tool is about
        out.putAll(summary(lance));
        out.put("seconds", seconds);
        Output.print(json, out, () -> {
            StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, """

                    lance4j demo — %s on Fashion-MNIST: pretrained on classes 0-4 (test accuracy %.4f), then the last %d convs
                    + a new head fine-tuned on classes 5-9 (batch %d, %d epochs, BN frozen, SGD lr 0.05 cosine, clip 2.0)

                    method  test acc  act. memory (paper)  measured peak (held)  grad angle  MMAC fwd/bwd  fwd ms  bwd ms  opt ms
                    """, model, preAcc, layers, batch, epochs));
            Map<String, FineTune.Result> rows = new LinkedHashMap<>();
            rows.put("bp", bp);
            rows.put("lance", lance);
            rows.put("hosvd", hosvd);
            rows.put("asi", asi);
            for (Map.Entry<String, FineTune.Result> e : rows.entrySet()) {
                FineTune.Result r = e.getValue();
                Training.EpochReport l = r.run().last();
                sb.append(String.format(Locale.ROOT, "%-6s  %.4f    %12s         %12s         %6.2f°    %5.0f/%-5.0f   %6.2f  %6.2f  %6.2f%n",
                        e.getKey(), l.testAccuracy(), Sizes.human(r.paperBytes()), Sizes.human(r.measuredPeakBytes()), r.gradientAngleDeg(),
                        r.macsForward() / 1e6, r.macsBackward() / 1e6, l.forwardMs(), l.backwardMs(), l.optimizerMs()));
            }
            sb.append(String.format(Locale.ROOT, "LANCE keeps %.1f× less activation memory (paper metric); accuracy %+.2f points vs full backprop.%n",
                    bp.paperBytes() / (double) lance.paperBytes(), 100 * (lance.run().last().testAccuracy() - bp.run().last().testAccuracy())));
            sb.append("The measured peak also holds what the paper metric leaves out (the head's input, ReLU masks, BN state).").append('\n');
            sb.append("ASI's ranks come from a budget search at LANCE's memory; its factors are refreshed every step.").append('\n');
            sb.append("HOSVD decomposes every batch's four modes (ε " + hosvdEnergy + "); its memory is the most one step held.").append('\n');
            sb.append(String.format(Locale.ROOT, "total time %.0f s", seconds));
            return sb.toString();
        });
        return 0;
    }

    private static Map<String, Object> summary(FineTune.Result r) {
        Training.EpochReport l = r.run().last();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("test_accuracy", l.testAccuracy());
        m.put("activation_mib", PaperMemory.mib(r.paperBytes()));
        m.put("peak_backward_bytes", r.measuredPeakBytes());
        m.put("gradient_angle_deg", r.gradientAngleDeg());
        Output.flops(m, r);
        m.put("step_ms", Output.stepMs(l));
        return m;
    }

    private void say(String s) {
        if (!json) System.err.println(s);
    }
}
