package org.lance4j.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.lance4j.app.BudgetFit;
import org.lance4j.app.DataSpec;
import org.lance4j.app.FineTune;
import org.lance4j.app.Models;
import org.lance4j.app.PaperMemory;
import org.lance4j.app.Progress;
import org.lance4j.app.Training;
import org.lance4j.compress.ConvBasis;
import org.lance4j.data.Dataset;
import org.lance4j.graph.Model;
import org.lance4j.io.BasisFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Fine-tunes the last N convolutions and the head of a model file: full backprop or LANCE. */
@Command(name = "finetune", description = "Fine-tune the last N convolutions + head with bp (full) or lance (fixed bases).")
final class FinetuneCommand extends ThreadedCommand {

    @Option(names = "--model-file", required = true, description = "The pretrained model file.")
    Path modelFile;

    @Option(names = "--data", required = true, description = "Fine-tuning data, e.g. fmnist:classes=5-9.")
    String data;

    @Option(names = "--method", required = true, description = "bp, lance, hosvd or asi.")
    String method;

    @Option(names = "--energy", defaultValue = "0.8", description = "For --method hosvd: the energy threshold of every step's ranks (default ${DEFAULT-VALUE}).")
    double energy;

    @Option(names = "--layers", required = true, description = "The last N convolutions with groups == 1 (plus the head).")
    int layers;

    @Option(names = "--depthwise", description = "Also train the depthwise convolutions after the first chosen one (compressed like the others; "
            + "a basis file must be calibrated with --depthwise too).")
    boolean depthwise;

    @Option(names = "--basis", description = "Basis file from ./lance4j calibrate (for --method lance).")
    Path basis;

    @Option(names = "--budget", description = "Byte budget of the backward-held arena, e.g. 300KiB; a configuration that cannot fit is refused.")
    String budget;

    @Option(names = "--fit", description = "With --budget: if the configuration does not fit, use the best one that does "
            + "(more layers first, then higher ε, then smaller batch) and say what was picked. bp and lance (calibrates; no --basis).")
    boolean fit;

    @Option(names = "--epochs", defaultValue = "2", description = "Epochs (default ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--batch", defaultValue = "64", description = "Batch size; must match the basis file's (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--keep-head", description = "Keep the pretrained head (same classes) instead of a new one.")
    boolean keepHead;

    @Option(names = "--out", description = "Write the fine-tuned model here.")
    Path out;

    @Option(names = "--seed", defaultValue = "7", description = "Seed for the new head and the batch order.")
    long seed;

    @Option(names = "--json", description = "Print exactly one JSON object on stdout.")
    boolean json;

    /** Bases chosen by --fit (LANCE), used instead of a basis file. */
    private Map<String, ConvBasis> fitBases;

    @Override
    Integer callOnThreads() throws Exception {
        long b = budget == null ? Long.MAX_VALUE : Sizes.parse("--budget", budget);
        Map<String, Object> picked = null;
        if (fit) {
            if (budget == null) throw new IllegalArgumentException("--fit needs --budget SIZE");
            if (!method.equals("bp") && !method.equals("lance")) {
                throw new IllegalArgumentException("--fit works with --method bp or lance (asi fits its budget in calibrate; hosvd's ranks vary per step)");
            }
            if (basis != null) throw new IllegalArgumentException("--fit calibrates each candidate itself; drop --basis");
            if (depthwise) throw new IllegalArgumentException("--fit searches the paper's selection (groups == 1 convolutions); drop --depthwise");
            Models.Loaded pre = Models.load(modelFile);
            Dataset train = pre.prepare(DataSpec.parse(data).loadTrain(pre.size()));
            BudgetFit.Choice c = BudgetFit.choose(pre.model(), train, pre.normalization(), method.equals("lance"), layers, batch, b, seed);
            if (!json) {
                System.err.printf(Locale.ROOT, "--fit picked: last %d convs%s, batch %d — needs %,d bytes of the %,d-byte budget%n", c.layers(),
                        method.equals("lance") ? String.format(Locale.ROOT, ", ε %.1f", c.energy()) : "", c.batch(), c.needBytes(), b);
            }
            picked = new java.util.LinkedHashMap<>();
            picked.put("layers", c.layers());
            picked.put("batch", c.batch());
            if (method.equals("lance")) picked.put("energy", c.energy());
            picked.put("need_bytes", c.needBytes());
            picked.put("tried", c.tried());
            layers = c.layers();
            batch = c.batch();
            fitBases = c.bases();
        }
        Map<String, Object> r = run(modelFile, data, method, layers, basis, b, epochs, batch, keepHead, out, seed, energy, new Progress("finetune", json));
        if (picked != null) r.put("fit", picked);
        Output.print(json, r, () -> String.format(Locale.ROOT, """
                fine-tuned %s with %s (last %d convs + %s head, batch %d, %d epochs) on %s:
                  test accuracy                       %.4f
                  activation memory, paper metric     %.3f MiB
                  measured peak, backward-held arena  %.3f MiB (%,d bytes)
                  gradient angle to exact (probe)     %.2f°
                  multiply-adds per step              forward %,d, backward %,d
                  step latency (median)               forward %.2f ms, backward %.2f ms, optimizer %.2f ms""",
                modelFile, method, layers, keepHead ? "pretrained" : "new", batch, epochs, data, (double) r.get("test_accuracy"),
                (double) r.get("activation_mib"), PaperMemory.mib((long) r.get("peak_backward_bytes")), (long) r.get("peak_backward_bytes"), (double) r.get("gradient_angle_deg"),
                ((Map<?, ?>) r.get("macs_per_step")).get("forward"), ((Map<?, ?>) r.get("macs_per_step")).get("backward"),
                ((Map<?, ?>) r.get("step_ms")).get("forward"), ((Map<?, ?>) r.get("step_ms")).get("backward"),
                ((Map<?, ?>) r.get("step_ms")).get("optimizer")));
        return 0;
    }

    Map<String, Object> run(Path modelFile, String data, String method, int layers, Path basis, long budget, int epochs, int batch,
                            boolean keepHead, Path out, long seed, double energy, Training.Listener listener) throws Exception {
        Map<String, ConvBasis> bases = Map.of();
        Models.Loaded pre = Models.load(modelFile);
        switch (method) {
            case "bp" -> {
                if (basis != null) throw new IllegalArgumentException("--basis is for --method lance");
            }
            case "lance", "asi" -> {
                if (fitBases != null) {
                    bases = fitBases;
                    break;
                }
                if (basis == null) {
                    throw new IllegalArgumentException("--method " + method + " needs --basis BASIS from ./lance4j calibrate --method " + method);
                }
                BasisFile.Contents c = BasisFile.read(basis, false);   // training never holds a continual-learning memory
                c.checkFor(pre.model(), batch, basis.toString());
                String made = c.settings().getOrDefault("method", "lance");
                if (!made.equals(method)) {
                    throw new IllegalArgumentException(basis + " was made by calibrate --method " + made + "; use --method " + made
                            + " or calibrate again with --method " + method);
                }
                boolean head = "1".equals(c.settings().get("head"));   // the basis file says whether the head is compressed
                java.util.List<String> want = new org.lance4j.calib.Calibrator.Settings(layers, 0.5, 1, batch, false, seed, depthwise, head)
                        .calibrated(pre.model().spec());
                if (!c.layers().keySet().equals(new java.util.LinkedHashSet<>(want))) {
                    throw new IllegalArgumentException(basis + " holds bases for " + c.layers().keySet() + " but --layers " + layers
                            + (depthwise ? " --depthwise" : "") + " trains " + want + "; calibrate with the same --layers"
                            + (depthwise ? " and --depthwise" : " (and --depthwise only if both use it)"));
                }
                bases = c.layers();
            }
            case "hosvd" -> {
                if (basis != null) throw new IllegalArgumentException("--basis is for lance and asi; hosvd decomposes every batch itself");
                if (!(energy > 0 && energy <= 1)) throw new IllegalArgumentException("--energy must be in (0, 1], got " + energy);
            }
            default -> throw new IllegalArgumentException("--method " + method + ": use bp, lance, hosvd or asi");
        }
        DataSpec ds = DataSpec.parse(data);
        Dataset train = pre.prepare(ds.loadTrain(pre.size()));
        Dataset test = pre.prepare(ds.loadTest(pre.size()));
        Model m = keepHead ? pre.model() : FineTune.withNewHead(pre.model(), train.classes(), seed);
        FineTune.Result res = FineTune.run(m, train, test, pre.normalization(),
                new FineTune.Config(layers, epochs, batch, budget, seed, bases, method.equals("asi"), method.equals("hosvd") ? energy : 0, depthwise),
                listener);
        Training.EpochReport last = res.run().last();
        if (out != null) {
            Map<String, String> meta = new LinkedHashMap<>(pre.meta());
            meta.put("finetune_method", method);
            meta.put("finetune_data", data);
            meta.put("finetune_layers", Integer.toString(layers));
            meta.put("test_accuracy", Double.toString(last.testAccuracy()));
            Models.save(out, m, pre.normalization(), pre.fit(), meta);
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("method", method);
        r.put("layers", layers);
        r.put("batch", batch);
        r.put("test_accuracy", last.testAccuracy());
        r.put("activation_mib", PaperMemory.mib(res.paperBytes()));
        r.put("activation_bytes", res.paperBytes());
        r.put("peak_backward_bytes", res.measuredPeakBytes());
        if (method.equals("hosvd")) r.put("planned_held_bytes", res.plannedHeldBytes());
        r.put("gradient_angle_deg", res.gradientAngleDeg());
        Output.flops(r, res);
        r.put("step_ms", Output.stepMs(last));
        r.put("epochs", Output.epochs(res.run().epochs()));
        return r;
    }
}
