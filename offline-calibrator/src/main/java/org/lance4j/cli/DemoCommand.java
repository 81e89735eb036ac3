package org.lance4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.lance4j.app.DataSpec;
import org.lance4j.app.FashionMnist;
import org.lance4j.app.FineTune;
import org.lance4j.app.Models;
import org.lance4j.app.PaperMemory;
import org.lance4j.app.Progress;
import org.lance4j.app.Training;
import org.lance4j.data.Dataset;
import org.lance4j.graph.Model;
import org.lance4j.io.FileFormatException;
import org.lance4j.models.Zoo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The main job on embedded defaults: pretrain the default small model on Fashion-MNIST classes 0–4
 * (cached after the first run), then fine-tune its last 2 convolutions and a new head on classes 5–9
 * with full backprop, and report accuracy, activation memory (paper metric and measured peak) and
 * step latency.
 */
@Command(name = "demo", description = "Pretrain on Fashion-MNIST 0-4 (cached), fine-tune on 5-9; report accuracy, memory, latency.")
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--pretrain-epochs", defaultValue = "3", description = "Pretraining epochs (default ${DEFAULT-VALUE}).")
    int pretrainEpochs;

    @Option(names = "--epochs", defaultValue = "2", description = "Fine-tuning epochs (default ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--layers", defaultValue = "2", description = "Fine-tune the last N convolutions (default ${DEFAULT-VALUE}).")
    int layers;

    @Option(names = "--batch", defaultValue = "64", description = "Batch size (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--retrain", description = "Pretrain again even when a cached model exists.")
    boolean retrain;

    @Option(names = "--json", description = "Print exactly one JSON object on stdout.")
    boolean json;

    @Override
    public Integer call() throws Exception {
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
            say("1/2 pretraining " + model + " on Fashion-MNIST classes 0-4 (" + pretrainEpochs + " epochs) ...");
            PretrainCommand.run(model, "fmnist:classes=0-4", null, pretrainEpochs, cached, null, null, false, batch, 0.05f, 5e-4f, 1f,
                    "none", 233, new Progress("pretrain", json));
            pre = Models.load(cached);
        }
        double preAcc = Double.parseDouble(pre.meta().getOrDefault("test_accuracy", "NaN"));

        say("2/2 fine-tuning the last " + layers + " convolutions + a new head on classes 5-9 with full backprop (" + epochs
                + " epochs) ...");
        DataSpec b = DataSpec.parse("fmnist:classes=5-9");
        Dataset train = pre.prepare(b.loadTrain(pre.size()));
        Dataset test = pre.prepare(b.loadTest(pre.size()));
        Model ft = FineTune.withNewHead(pre.model(), train.classes(), 7);
        FineTune.Result r = FineTune.run(ft, train, test, pre.normalization(), new FineTune.Config(layers, epochs, batch, Long.MAX_VALUE, 7),
                new Progress("finetune", json));
        Training.EpochReport last = r.run().last();
        double seconds = (System.nanoTime() - t0) / 1e9;

        Map<String, Object> out = new LinkedHashMap<>();
        out.put("model", model);
        out.put("pretrain_test_accuracy", preAcc);
        out.put("method", "bp");
        out.put("layers", layers);
        out.put("batch", batch);
        out.put("test_accuracy", last.testAccuracy());
        out.put("activation_mib", PaperMemory.mib(r.paperBytes()));
        out.put("peak_backward_bytes", r.measuredPeakBytes());
        out.put("step_ms", Output.stepMs(last));
        out.put("epochs", Output.epochs(r.run().epochs()));
        out.put("seconds", seconds);
        Output.print(json, out, () -> String.format(Locale.ROOT, """
                
                lance4j demo — %s on Fashion-MNIST
                  pretrained on classes 0-4:            test accuracy %.4f
                  fine-tuned on classes 5-9 (bp, last %d convs + new head, batch %d, %d epochs):
                    test accuracy                       %.4f
                    activation memory, paper metric     %.3f MiB
                    measured peak, backward-held arena  %.3f MiB (%,d bytes)
                    step latency (median)               forward %.2f ms, backward %.2f ms, optimizer %.2f ms, total %.2f ms
                  total time %.0f s
                LANCE, HOSVD and ASI join this comparison with the LANCE milestone.""",
                model, preAcc, layers, batch, epochs, last.testAccuracy(), PaperMemory.mib(r.paperBytes()),
                PaperMemory.mib(r.measuredPeakBytes()), r.measuredPeakBytes(), last.forwardMs(), last.backwardMs(), last.optimizerMs(),
                last.totalMs(), seconds));
        return 0;
    }

    private void say(String s) {
        if (!json) System.err.println(s);
    }
}
