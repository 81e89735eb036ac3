package org.lance4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.lance4j.app.DataSpec;
import org.lance4j.app.Models;
import org.lance4j.calib.AsiBudgetSearch;
import org.lance4j.calib.Calibrator;
import org.lance4j.compress.ConvBasis;
import org.lance4j.data.Dataset;
import org.lance4j.io.BasisFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** LANCE Phase I: calibrate the bases of the last N convolutions on a data source and write a basis file. */
@Command(name = "calibrate", description = "LANCE Phase I bases (or ASI ranks by budget search) for the trained layers; write a basis file.")
final class CalibrateCommand extends ThreadedCommand {

    @Option(names = "--model-file", required = true, description = "The pretrained model file.")
    Path modelFile;

    @Option(names = "--data", required = true, description = "Calibration data, normally the fine-tuning data (its training split).")
    String data;

    @Option(names = "--layers", required = true, description = "The last N convolutions with groups == 1.")
    int layers;

    @Option(names = "--energy", defaultValue = "0.7", description = "Energy threshold ε (default ${DEFAULT-VALUE}, the paper's).")
    double energy;

    @Option(names = "--batches", defaultValue = "100", description = "Calibration batches K (default ${DEFAULT-VALUE}).")
    int batches;

    @Option(names = "--batch", defaultValue = "64", description = "Batch size; fine-tuning must use the same (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--project-batch", description = "Also fix a basis for the batch mode (LANCE's published code does).")
    boolean projectBatch;

    @Option(names = "--depthwise", description = "Also calibrate the depthwise convolutions among the trained ones (finetune --depthwise).")
    boolean depthwise;

    @Option(names = "--head", description = "Also calibrate the classifier head's input: LANCE then compresses the linear layer too "
            + "(its input is often the largest one kept; finetune reads this from the basis file).")
    boolean head;

    @Option(names = "--method", defaultValue = "lance", description = "lance (energy ranks, calibrated bases) or asi (ranks by a budget search; default ${DEFAULT-VALUE}).")
    String method;

    @Option(names = "--budget", description = "For --method asi: the activation-memory budget of the trained layers (core + factors), e.g. 64KiB.")
    String budget;

    @Option(names = "--out", required = true, description = "Basis file to write (atomically).")
    Path out;

    @Option(names = "--seed", defaultValue = "233", description = "Seed for the calibration batches.")
    long seed;

    @Option(names = "--json", description = "Print exactly one JSON object on stdout.")
    boolean json;

    @Override
    Integer callOnThreads() throws Exception {
        Map<String, Object> r;
        switch (method) {
            case "lance" -> {
                if (budget != null) throw new IllegalArgumentException("--budget goes with --method asi; LANCE's ranks come from --energy");
                r = run(modelFile, data, new Calibrator.Settings(layers, energy, batches, batch, projectBatch, seed, depthwise, head), out, json);
            }
            case "asi" -> {
                if (budget == null) throw new IllegalArgumentException("--method asi needs --budget SIZE (the memory its ranks must fit)");
                if (depthwise) throw new IllegalArgumentException("--depthwise is for --method lance; ASI's budget search covers groups == 1 convolutions");
                if (head) throw new IllegalArgumentException("--head is for --method lance; ASI compresses convolutions only");
                r = runAsi(modelFile, data, layers, batch, projectBatch, Sizes.parse("--budget", budget), seed, out);
            }
            default -> throw new IllegalArgumentException("--method " + method + ": use lance or asi");
        }
        Output.print(json, r, () -> (String) r.remove("report"));
        return 0;
    }

    /** ASI: ranks by the budget search on one batch; starting factors seeded Gaussian. */
    static Map<String, Object> runAsi(Path modelFile, String data, int layers, int batch, boolean projectBatch, long budget, long seed, Path out)
            throws Exception {
        Models.Loaded m = Models.load(modelFile);
        Dataset d = m.prepare(DataSpec.parse(data).loadTrain(m.size()));
        long t0 = System.nanoTime();
        AsiBudgetSearch.Result res = AsiBudgetSearch.search(m.model(), d, m.normalization(), layers, batch, projectBatch, budget, seed);
        double seconds = (System.nanoTime() - t0) / 1e9;
        Map<String, String> settings = new LinkedHashMap<>(Models.provenance());
        settings.put("method", "asi");
        settings.put("budget", Long.toString(budget));
        settings.put("batch", Integer.toString(batch));
        settings.put("project_batch", projectBatch ? "1" : "0");
        settings.put("layers", Integer.toString(layers));
        settings.put("data", data);
        settings.put("model_file", modelFile.toString());
        BasisFile.write(out, m.model(), settings, res.bases());
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("method", "asi");
        r.put("out", out.toString());
        r.put("budget_bytes", budget);
        r.put("activation_bytes", res.totalBytes());
        r.put("total_error", res.totalError());
        r.put("seconds", seconds);
        List<Map<String, Object>> ls = new ArrayList<>();
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "ASI budget search on one batch of %s (batch %d) in %.1f s:%n",
                d.name(), batch, seconds));
        for (AsiBudgetSearch.LayerChoice c : res.layers()) {
            ls.add(Map.of("node", c.node(), "energy", c.energy(), "ranks", java.util.Arrays.toString(c.ranks()), "bytes", c.bytes(),
                    "gradient_error", c.error()));
            sb.append(String.format(Locale.ROOT, "  %-22s ε %.1f  ranks (B, C, H, W) %s  %s  ‖dW − dW_low‖ %.4g%n", c.node(), c.energy(),
                    java.util.Arrays.toString(c.ranks()), Sizes.human(c.bytes()), c.error()));
        }
        r.put("layers", ls);
        sb.append(String.format(Locale.ROOT, "activation memory %s within the budget %s%nwrote %s", Sizes.human(res.totalBytes()),
                Sizes.human(budget), out));
        r.put("report", sb.toString());
        return r;
    }

    /** Shared with the demo; returns the JSON result (with a "report" entry holding the human text). */
    static Map<String, Object> run(Path modelFile, String data, Calibrator.Settings s, Path out, boolean quiet) throws Exception {
        Models.Loaded m = Models.load(modelFile);
        Dataset d = m.prepare(DataSpec.parse(data).loadTrain(m.size()));
        long t0 = System.nanoTime();
        boolean tty = System.console() != null && System.getenv("CI") == null;
        Map<String, Calibrator.Layer> res = Calibrator.calibrate(m.model(), d, m.normalization(), s, (done, total) -> {
            if (quiet) return;
            if (tty && (done == total || done % Math.max(1, total / 20) == 0)) {
                System.err.printf(Locale.ROOT, "\rcalibrating: batch %d/%d", done, total);
                if (done == total) System.err.println();
            } else if (!tty && done == total) {
                System.err.printf(Locale.ROOT, "calibrated on %d batches%n", total);
            }
        });
        double seconds = (System.nanoTime() - t0) / 1e9;
        Map<String, ConvBasis> bases = new LinkedHashMap<>();
        res.forEach((k, v) -> bases.put(k, v.basis()));
        Map<String, String> settings = new LinkedHashMap<>(Models.provenance());
        settings.put("energy", Double.toString(s.energy()));
        settings.put("batches", Integer.toString(s.batches()));
        settings.put("batch", Integer.toString(s.batch()));
        settings.put("project_batch", s.projectBatch() ? "1" : "0");
        settings.put("layers", Integer.toString(s.layers()));
        settings.put("depthwise", s.depthwise() ? "1" : "0");
        settings.put("head", s.head() ? "1" : "0");
        settings.put("data", data);
        settings.put("model_file", modelFile.toString());
        settings.put("method", "lance");
        BasisFile.write(out, m.model(), settings, bases);

        Map<String, Object> r = new LinkedHashMap<>();
        r.put("model_file", modelFile.toString());
        r.put("out", out.toString());
        r.put("energy", s.energy());
        r.put("batches", s.batches());
        r.put("batch", s.batch());
        r.put("project_batch", s.projectBatch());
        r.put("seconds", seconds);
        List<Map<String, Object>> ls = new ArrayList<>();
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "calibrated %d layers on %s (ε = %s, K = %d, batch %d%s) in %.1f s%n",
                res.size(), d.name(), s.energy(), s.batches(), s.batch(), s.projectBatch() ? ", batch mode projected" : "", seconds));
        long core = 0, factors = 0, full = 0;
        for (Calibrator.Layer l : res.values()) {
            Map<String, Object> lj = new LinkedHashMap<>();
            lj.put("node", l.node());
            lj.put("input", l.input().toString());
            List<Map<String, Object>> modes = new ArrayList<>();
            StringBuilder ms = new StringBuilder();
            for (Calibrator.Mode mo : l.modes()) {
                modes.add(Map.of("mode", mo.name(), "size", mo.size(), "rank", mo.rank(), "energy_kept", mo.energyKept()));
                ms.append(String.format(Locale.ROOT, " %s %d→%d (%.3f)", mo.name(), mo.size(), mo.rank(), mo.energyKept()));
            }
            lj.put("modes", modes);
            lj.put("core_bytes", l.coreBytes());
            lj.put("factor_bytes", l.factorBytes());
            lj.put("full_bytes", l.fullBytes());
            ls.add(lj);
            core += l.coreBytes();
            factors += l.factorBytes();
            full += l.fullBytes();
            sb.append(String.format(Locale.ROOT, "  %-22s input %-18s%s  core %s + factors %s (full input %s)%n", l.node(), l.input(), ms,
                    Sizes.human(l.coreBytes()), Sizes.human(l.factorBytes()), Sizes.human(l.fullBytes())));
        }
        r.put("layers", ls);
        r.put("activation_bytes", core + factors);
        r.put("full_bytes", full);
        sb.append(String.format(Locale.ROOT, "activation memory: %s (core + factors) against %s in full (%.1f× smaller)%nwrote %s",
                Sizes.human(core + factors), Sizes.human(full), full / (double) (core + factors), out));
        r.put("report", sb.toString());
        return r;
    }
}
