package org.lance4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.lance4j.app.AtomicFiles;
import org.lance4j.app.Charts;
import org.lance4j.app.DataSpec;
import org.lance4j.app.LatencyBench;
import org.lance4j.app.Models;
import org.lance4j.app.PaperMemory;
import org.lance4j.data.Dataset;
import org.lance4j.data.Normalization;
import org.lance4j.graph.Model;
import org.lance4j.kernel.Vec;
import org.lance4j.models.Zoo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Benchmarks. {@code latency}: step time against the number of trained layers, per method. */
@Command(name = "bench", description = "Benchmarks: latency (step time for 1..N trained layers per method), gemm (our GEMM against OpenBLAS), step (a training step against PyTorch's).",
        subcommands = {BenchCommand.Latency.class, BenchCommand.GemmCmd.class, BenchCommand.StepCmd.class})
final class BenchCommand {
    @Command(name = "latency", description = "Forward, backward and total step time for 1..N trained layers, for bp, lance, hosvd and asi; CSV, chart, results.md.")
    static final class Latency extends ThreadedCommand {

        @Option(names = "--model-file", description = "A pretrained model file (its ranks are the real ones); default: --model with seeded random weights.")
        Path modelFile;

        @Option(names = "--model", defaultValue = "mobilenetv2", description = "Architecture when no --model-file: ${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE}).",
                completionCandidates = ModelNames.class)
        String model;

        @Option(names = "--input", defaultValue = "32", description = "Input size for --model (default ${DEFAULT-VALUE}).")
        int input;

        @Option(names = "--stem", defaultValue = "auto", description = "Stem for --model: auto, small or standard (as pretrain; default ${DEFAULT-VALUE}).")
        String stem;

        @Option(names = "--data", defaultValue = "fmnist:classes=5-9", description = "Batches to time on and to calibrate with (default ${DEFAULT-VALUE}).")
        String data;

        @Option(names = "--batch", defaultValue = "32", description = "Batch size (default ${DEFAULT-VALUE}).")
        int batch;

        @Option(names = "--max-layers", defaultValue = "10", description = "Time 1..N trained convolutions (default ${DEFAULT-VALUE}).")
        int maxLayers;

        @Option(names = "--methods", defaultValue = "bp,lance,hosvd,asi", split = ",", description = "Methods (default ${DEFAULT-VALUE}).")
        List<String> methods;

        @Option(names = "--warmup", defaultValue = "3", description = "Untimed steps per point (default ${DEFAULT-VALUE}).")
        int warmup;

        @Option(names = "--steps", defaultValue = "10", description = "Timed steps per point; medians are reported (default ${DEFAULT-VALUE}).")
        int steps;

        @Option(names = "--energy", defaultValue = "0.7", description = "LANCE energy ε (ASI starts from these bases; default ${DEFAULT-VALUE}).")
        double energy;

        @Option(names = "--hosvd-energy", defaultValue = "0.8", description = "HOSVD energy ε (default ${DEFAULT-VALUE}, the peers').")
        double hosvdEnergy;

        @Option(names = "--calibration-batches", defaultValue = "10", description = "LANCE calibration batches (default ${DEFAULT-VALUE}).")
        int calibrationBatches;

        @Option(names = "--out", defaultValue = "results/bench-latency", description = "Directory for latency.csv, latency.png and results.md (default ${DEFAULT-VALUE}).")
        Path out;

        @Option(names = "--seed", defaultValue = "233", description = "Seed for weights, batch order and calibration.")
        long seed;

        @Option(names = "--json", description = "Print exactly one JSON object on stdout.")
        boolean json;

        @Override
        Integer callOnThreads() throws Exception {
            Model m;
            Normalization norm;
            Dataset d;
            String what;
            if (modelFile != null) {
                Models.Loaded l = Models.load(modelFile);
                m = l.model();
                norm = l.normalization();
                d = l.prepare(DataSpec.parse(data).loadTrain(l.size()));
                what = modelFile.toString();
            } else {
                Dataset raw = DataSpec.parse(data).loadTrain(input).reshaped(3, input, Dataset.Fit.RESIZE);
                m = Model.initialized(Zoo.build(model, new Zoo.Options(3, input, raw.classes(), 1f, PretrainCommand.stem(stem), 1)), seed);
                norm = raw.statistics();
                d = raw;
                what = model + " at " + input + " px (" + stem + " stem), seeded random weights (seed " + seed + ")";
            }
            LatencyBench.Settings s = new LatencyBench.Settings(maxLayers, batch, warmup, steps, energy, hosvdEnergy, calibrationBatches, methods, seed);
            List<LatencyBench.Point> pts = LatencyBench.run(m, d, norm, s, p -> {
                if (!json) System.err.printf(Locale.ROOT, "%-6s %2d layers: fwd %.1f  bwd %.1f  opt %.2f  total %.1f ms%n", p.method(), p.layers(),
                        p.forwardMs(), p.backwardMs(), p.optimizerMs(), p.totalMs());
            });
            String md = write(out, what, s, pts);
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("model", what);
            r.put("batch", batch);
            r.put("vector", Vec.describe());
            List<Map<String, Object>> ps = new ArrayList<>();
            for (LatencyBench.Point p : pts) {
                Map<String, Object> pm = new LinkedHashMap<>();
                pm.put("method", p.method());
                pm.put("layers", p.layers());
                Map<String, Object> ms = new LinkedHashMap<>();
                ms.put("forward", p.forwardMs());
                ms.put("backward", p.backwardMs());
                ms.put("optimizer", p.optimizerMs());
                ms.put("total", p.totalMs());
                pm.put("step_ms", ms);
                pm.put("activation_mib", PaperMemory.mib(p.paperBytes()));
                pm.put("peak_backward_bytes", p.peakBytes());
                pm.put("macs_per_step", Map.of("forward", p.macsForward(), "backward", p.macsBackward()));
                ps.add(pm);
            }
            r.put("points", ps);
            r.put("out", out.toString());
            Output.print(json, r, () -> md + "\nwrote " + out.resolve("results.md") + ", latency.csv, latency.png");
            return 0;
        }

        static String write(Path out, String what, LatencyBench.Settings s, List<LatencyBench.Point> pts) throws java.io.IOException {
            StringBuilder csv = new StringBuilder("method,layers,forward_ms,backward_ms,optimizer_ms,total_ms,activation_bytes,peak_backward_bytes,macs_forward,macs_backward\n");
            for (LatencyBench.Point p : pts) {
                csv.append(String.format(Locale.ROOT, "%s,%d,%.3f,%.3f,%.3f,%.3f,%d,%d,%d,%d%n", p.method(), p.layers(), p.forwardMs(), p.backwardMs(),
                        p.optimizerMs(), p.totalMs(), p.paperBytes(), p.peakBytes(), p.macsForward(), p.macsBackward()));
            }
            AtomicFiles.writeString(out.resolve("latency.csv"), csv.toString());
            List<Charts.Series> total = new ArrayList<>(), bwd = new ArrayList<>();
            for (String method : s.methods()) {
                List<LatencyBench.Point> mp = pts.stream().filter(p -> p.method().equals(method)).toList();
                double[] x = mp.stream().mapToDouble(LatencyBench.Point::layers).toArray();
                total.add(new Charts.Series(method, x, mp.stream().mapToDouble(LatencyBench.Point::totalMs).toArray()));
                bwd.add(new Charts.Series(method + " fwd", x, mp.stream().mapToDouble(LatencyBench.Point::forwardMs).toArray()));
                bwd.add(new Charts.Series(method + " bwd", x, mp.stream().mapToDouble(LatencyBench.Point::backwardMs).toArray()));
            }
            Charts.lines(out.resolve("latency.png"), "Training step time, batch " + s.batch() + " (median of " + s.steps() + " steps)",
                    "trained convolutions (last N, + head)", "ms per step", total, false);
            Charts.lines(out.resolve("latency-split.png"), "Forward and backward time per step", "trained convolutions (last N, + head)",
                    "ms", bwd, false);
            StringBuilder md = new StringBuilder();
            md.append("# Step latency against trained layers\n\n");
            md.append(String.format(Locale.ROOT, "Model: %s. Batch %d; medians of %d timed steps after %d warm-up steps, the methods' steps interleaved on the same batches. LANCE ε %s "
                    + "(ASI starts from LANCE's bases and ranks), HOSVD ε %s. Vector width: %s. %d cores available; one thread.%n%n",
                    what, s.batch(), s.steps(), s.warmup(), s.energy(), s.hosvdEnergy(), Vec.describe(), Runtime.getRuntime().availableProcessors()));
            md.append("| method | layers | forward ms | backward ms | optimizer ms | total ms | activation (paper) | measured peak |\n");
            md.append("|---|---:|---:|---:|---:|---:|---:|---:|\n");
            for (LatencyBench.Point p : pts) {
                md.append(String.format(Locale.ROOT, "| %s | %d | %.1f | %.1f | %.2f | %.1f | %s | %s |%n", p.method(), p.layers(), p.forwardMs(),
                        p.backwardMs(), p.optimizerMs(), p.totalMs(), Sizes.human(p.paperBytes()), Sizes.human(p.peakBytes())));
            }
            md.append("\nCharts: `latency.png` (total), `latency-split.png` (forward and backward).\n");
            AtomicFiles.writeString(out.resolve("results.md"), md.toString());
            return md.toString();
        }
    }

    @Command(name = "gemm", description = "Our GEMM against OpenBLAS (Debian libopenblas-dev, built with gcc) at the shapes the zoo's training steps produce, timed in alternation in one run; plus the core's FMA peak.")
    static final class GemmCmd implements Callable<Integer> {
        @Option(names = "--models", defaultValue = "mobilenetv2,resnet18,mcunet", split = ",", description = "Models whose step shapes are benched (default ${DEFAULT-VALUE}).",
                completionCandidates = ModelNames.class)
        List<String> models;

        @Option(names = "--batch", defaultValue = "32", description = "Batch size of the steps (default ${DEFAULT-VALUE}).")
        int batch;

        @Option(names = "--input", defaultValue = "32", description = "Input size (default ${DEFAULT-VALUE}).")
        int input;

        @Option(names = "--layers", defaultValue = "4", description = "Fine-tuned convolutions (default ${DEFAULT-VALUE}).")
        int layers;

        @Option(names = "--threads", defaultValue = "1", description = "Threads for both libraries (default ${DEFAULT-VALUE}: OpenBLAS single-thread).")
        int threads;

        @Option(names = "--rounds", defaultValue = "7", description = "Timed rounds per shape; medians are reported (default ${DEFAULT-VALUE}).")
        int rounds;

        @Option(names = "--cpu", description = "At one thread, the CPU both libraries run on (Linux taskset; default: the first this process may use); "
                + "-1: not pinned. Pinned, a CPU the host slows slows both sides alike.")
        Integer cpu;

        @Option(names = "--round-ms", defaultValue = "3", description = "Work per round and library, about (default ${DEFAULT-VALUE} ms).")
        double roundMs;

        @Option(names = "--min-mflop", defaultValue = "0", description = "Skip shapes smaller than this (MFLOP per call; default ${DEFAULT-VALUE}: all).")
        double minMflop;

        @Option(names = "--out", defaultValue = "results/bench-gemm", description = "Directory for gemm.csv and results.md (default ${DEFAULT-VALUE}).")
        Path out;

        @Option(names = "--seed", defaultValue = "233", description = "Seed of the models' weights.")
        long seed;

        @Option(names = "--json", description = "Print exactly one JSON object on stdout.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            for (String m : models) ModelNames.require("--models", m);
            if (threads < 1) throw new IllegalArgumentException("--threads must be ≥ 1, got " + threads);
            if (rounds < 1) throw new IllegalArgumentException("--rounds must be ≥ 1, got " + rounds);
            Map<org.lance4j.app.StepShapes.GemmShape, org.lance4j.app.StepShapes.Use> shapes = new LinkedHashMap<>();
            org.lance4j.app.StepShapes.collect(models, batch, input, layers, seed).forEach((k, v) -> {
                if (2.0 * k.macs() >= minMflop * 1e6) shapes.put(k, v);
            });
            if (shapes.isEmpty()) throw new IllegalArgumentException("--min-mflop " + minMflop + " leaves no shape to time; lower it");
            if (!json) System.err.printf(Locale.ROOT, "%d distinct GEMM shapes; timing ours and OpenBLAS's in alternation ...%n", shapes.size());
            org.lance4j.app.GemmBench.Result r = org.lance4j.app.GemmBench.run(shapes, threads, rounds, roundMs, cpu, row -> {
                if (!json) System.err.printf(Locale.ROOT, "%-22s ours %6.1f  OpenBLAS %6.1f GFLOPS  ratio %.2f%n", row.shape(), row.oursGflops(), row.blasGflops(), row.ratio());
            });
            String md = writeGemm(out, r, this);
            Output.print(json, gemmJson(r), () -> md + "\nwrote " + out.resolve("results.md") + ", gemm.csv");
            return 0;
        }

        static Map<String, Object> gemmJson(org.lance4j.app.GemmBench.Result r) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("threads", r.threads());
            j.put("pinning", r.pinning());
            j.put("vector", Vec.describe());
            j.put("fma_peak_gflops", r.peakGflops());
            j.put("fma_peak_all_threads_gflops", r.peakAllGflops());
            double[] ratios = r.rows().stream().mapToDouble(org.lance4j.app.GemmBench.Row::ratio).toArray();
            j.put("median_ratio", org.lance4j.app.GemmBench.median(ratios));
            j.put("min_ratio", java.util.Arrays.stream(ratios).min().orElse(Double.NaN));
            j.put("time_weighted_ratio", timeWeighted(r));
            List<Map<String, Object>> rows = new ArrayList<>();
            for (org.lance4j.app.GemmBench.Row row : r.rows()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("form", row.shape().form());
                m.put("m", row.shape().m());
                m.put("n", row.shape().n());
                m.put("k", row.shape().k());
                m.put("acc", row.shape().acc());
                m.put("calls_per_step", row.use().calls);
                m.put("where", new ArrayList<>(row.use().where));
                m.put("ours_gflops", row.oursGflops());
                m.put("openblas_gflops", row.blasGflops());
                m.put("ratio", row.ratio());
                rows.add(m);
            }
            j.put("shapes", rows);
            return j;
        }

        /** OpenBLAS's time over ours with each shape weighted by its calls per step: the whole-step GEMM ratio. */
        static double timeWeighted(org.lance4j.app.GemmBench.Result r) {
            double ours = 0, theirs = 0;
            for (org.lance4j.app.GemmBench.Row row : r.rows()) {
                ours += row.oursNs() * row.use().calls;
                theirs += row.blasNs() * row.use().calls;
            }
            return theirs / ours;
        }

        static String writeGemm(Path out, org.lance4j.app.GemmBench.Result r, GemmCmd o) throws java.io.IOException {
            StringBuilder csv = new StringBuilder("form,m,n,k,acc,calls_per_step,where,ours_ns,openblas_ns,ours_gflops,openblas_gflops,ratio,ours_pct_peak\n");
            // % of peak against what the run's threads reach together (one core's peak for one thread)
            double peak = r.peakAllGflops();
            String peaks = r.threads() == 1
                    ? String.format(Locale.ROOT, "FMA peak of one core (C FMA loop): %.1f GFLOPS.", r.peakGflops())
                    : String.format(Locale.ROOT, "FMA peak (C FMA loop) of one core %.1f GFLOPS; of %d threads at once %.1f GFLOPS, %.2f× one core's "
                            + "(the most the threads can gain on this machine now; %% of peak below is of this).", r.peakGflops(), r.threads(),
                            r.peakAllGflops(), r.peakAllGflops() / r.peakGflops());
            StringBuilder md = new StringBuilder("# GEMM: lance4j against OpenBLAS\n\n");
            double[] ratios = r.rows().stream().mapToDouble(org.lance4j.app.GemmBench.Row::ratio).toArray();
            md.append(String.format(Locale.ROOT, "Shapes of one training step of %s (batch %d, input %d; pretraining and fine-tuning of the last %d convolutions, full backprop). "
                            + "%d thread(s) each, %s; medians of %d alternating rounds. Vector width %s. %s%n%n"
                            + "**Median ratio (OpenBLAS time / ours) %.2f, lowest %.2f, weighted by calls per step %.2f** over %d shapes.%n%n",
                    String.join(", ", o.models), o.batch, o.input, o.layers, r.threads(), r.pinning(), o.rounds, Vec.describe(), peaks,
                    org.lance4j.app.GemmBench.median(ratios), java.util.Arrays.stream(ratios).min().orElse(Double.NaN), timeWeighted(r), ratios.length));
            md.append("| form | M | N | K | += | calls/step | ours GFLOPS | OpenBLAS GFLOPS | ratio | ours % of peak | where |\n");
            md.append("|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---|\n");
            for (org.lance4j.app.GemmBench.Row row : r.rows()) {
                var s = row.shape();
                String where = String.join("; ", row.use().where);
                csv.append(String.format(Locale.ROOT, "%s,%d,%d,%d,%b,%d,\"%s\",%.0f,%.0f,%.2f,%.2f,%.3f,%.1f%n", s.form(), s.m(), s.n(), s.k(), s.acc(),
                        row.use().calls, where, row.oursNs(), row.blasNs(), row.oursGflops(), row.blasGflops(), row.ratio(), 100 * row.oursGflops() / peak));
                md.append(String.format(Locale.ROOT, "| %s | %d | %d | %d | %s | %d | %.1f | %.1f | %.2f | %.0f %% | %s |%n", s.form(), s.m(), s.n(), s.k(), s.acc() ? "yes" : "",
                        row.use().calls, row.oursGflops(), row.blasGflops(), row.ratio(), 100 * row.oursGflops() / peak, where));
            }
            AtomicFiles.writeString(out.resolve("gemm.csv"), csv.toString());
            AtomicFiles.writeString(out.resolve("results.md"), md.toString());
            return md.toString();
        }
    }

    @Command(name = "step", description = "A full training step (forward, backward, SGD) against the identical step in PyTorch 1.13 on the CPU (Debian python3-torch), same threads, timed in alternation in one run; then fine-tuning the last N convolutions with bp and LANCE against PyTorch's bp of the same layers.")
    static final class StepCmd implements Callable<Integer> {
        @Option(names = "--model", defaultValue = "mobilenetv2", description = "Architecture: ${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE}).",
                completionCandidates = ModelNames.class)
        String model;

        @Option(names = "--input", defaultValue = "32", description = "Input size (default ${DEFAULT-VALUE}).")
        int input;

        @Option(names = "--stem", defaultValue = "auto", description = "Stem: auto, small or standard (as pretrain; default ${DEFAULT-VALUE}).")
        String stem;

        @Option(names = "--batch", defaultValue = "32", description = "Batch size (default ${DEFAULT-VALUE}).")
        int batch;

        @Option(names = "--threads", description = "Kernel threads, ours and PyTorch's (default: the available cores).")
        Integer threads;

        @Option(names = "--layers", defaultValue = "4", description = "Fine-tuned convolutions for the fine-tuning comparison (default ${DEFAULT-VALUE}).")
        int layers;

        @Option(names = "--energy", defaultValue = "0.7", description = "LANCE energy ε (default ${DEFAULT-VALUE}).")
        double energy;

        @Option(names = "--calibration-batches", defaultValue = "10", description = "LANCE calibration batches (default ${DEFAULT-VALUE}).")
        int calibrationBatches;

        @Option(names = "--data", defaultValue = "fmnist:classes=5-9", description = "Batches to train and calibrate on (default ${DEFAULT-VALUE}).")
        String data;

        @Option(names = "--warmup", defaultValue = "3", description = "Untimed steps of each side first; ours go on until the JIT compiler is quiet for 3 steps (default ${DEFAULT-VALUE}).")
        int warmup;

        @Option(names = "--rounds", defaultValue = "5", description = "Alternating rounds (default ${DEFAULT-VALUE}).")
        int rounds;

        @Option(names = "--cpu", description = "At one thread, the CPU both sides run on (Linux taskset; default: the first this process may use); "
                + "-1: not pinned. Pinned, a CPU the host slows slows both sides alike.")
        Integer cpu;

        @Option(names = "--steps", defaultValue = "2", description = "Timed steps of each side per round, after one untimed step; medians over all timed steps (default ${DEFAULT-VALUE}).")
        int steps;

        @Option(names = "--out", defaultValue = "results/bench-step", description = "Directory for step.csv and results.md (default ${DEFAULT-VALUE}).")
        Path out;

        @Option(names = "--seed", defaultValue = "233", description = "Seed for weights, batch order and calibration.")
        long seed;

        @Option(names = "--json", description = "Print exactly one JSON object on stdout.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            ModelNames.require("--model", model);
            int t = threads == null ? org.lance4j.kernel.Workers.availableCores() : threads;
            org.lance4j.app.StepBench.Settings s = new org.lance4j.app.StepBench.Settings(batch, t, layers, energy, calibrationBatches, warmup, rounds, steps, seed, cpu);
            Dataset raw = DataSpec.parse(data).loadTrain(input).reshaped(3, input, Dataset.Fit.RESIZE);
            Model m = Model.initialized(Zoo.build(model, new Zoo.Options(3, input, raw.classes(), 1f, PretrainCommand.stem(stem), 1)), seed);
            String what = model + " at " + input + " px (" + stem + " stem), batch " + batch + ", " + t + (t == 1 ? " thread" : " threads");
            org.lance4j.app.StepBench.Result result = org.lance4j.app.StepBench.run(m, raw, raw.statistics(), s, r -> {
                if (!json) System.err.printf(Locale.ROOT, "%-34s %-5s ours %7.1f ms  PyTorch %7.1f ms  ratio %.2f%n", r.step(), r.method(), r.ours().total(),
                        r.torch().total(), r.ratio());
            });
            StringBuilder csv = new StringBuilder("step,method,threads,ours_forward_ms,ours_backward_ms,ours_optimizer_ms,ours_total_ms,"
                    + "torch_forward_ms,torch_backward_ms,torch_optimizer_ms,torch_total_ms,ratio,peak_backward_bytes,macs_per_step,ours_gflops\n");
            StringBuilder md = new StringBuilder("# Training step: lance4j against PyTorch\n\n");
            md.append(String.format(Locale.ROOT, "%s; seeded random weights; PyTorch %s on the CPU builds the same network from our model spec (parameter counts checked). "
                    + "Medians of %d steps per side, %d per round in alternation, each turn after one untimed step, after at least %d warm-up steps (ours until the JIT compiler is quiet for 3). SGD lr %.2f, momentum %.1f, weight decay %.0e on both sides. "
                    + "Fine-tuning: BN frozen on both sides; LANCE at ε %s from %d calibration batches. Vector width %s; %s.%n%n",
                    what, "1.13 (python3-torch)", rounds * steps, steps, warmup, 0.05, 0.9, 1e-4, energy, calibrationBatches, Vec.describe(), result.pinning()));
            md.append("| step | ours | ours fwd / bwd / opt ms | ours total ms | PyTorch (bp) fwd / bwd / opt ms | PyTorch total ms | ours / PyTorch | measured peak (ours) | GMAC / step | ours GFLOPS |\n");
            md.append("|---|---|---|---:|---|---:|---:|---:|---:|---:|\n");
            List<Map<String, Object>> jr = new ArrayList<>();
            for (org.lance4j.app.StepBench.Row r : result.rows()) {
                var o = r.ours();
                var p = r.torch();
                csv.append(String.format(Locale.ROOT, "\"%s\",%s,%d,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.4f,%d,%d,%.2f%n", r.step(), r.method(), t, o.forward(), o.backward(),
                        o.optimizer(), o.total(), p.forward(), p.backward(), p.optimizer(), p.total(), r.ratio(), r.peakBackwardBytes(), r.macs(), r.gflops()));
                md.append(String.format(Locale.ROOT, "| %s | %s | %.1f / %.1f / %.1f | %.1f | %.1f / %.1f / %.1f | %.1f | **%.2f** | %s | %.2f | %.1f |%n", r.step(), r.method(), o.forward(),
                        o.backward(), o.optimizer(), o.total(), p.forward(), p.backward(), p.optimizer(), p.total(), r.ratio(), Sizes.human(r.peakBackwardBytes()),
                        r.macs() / 1e9, r.gflops()));
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("step", r.step());
                e.put("method", r.method());
                e.put("step_ms", Map.of("forward", o.forward(), "backward", o.backward(), "optimizer", o.optimizer(), "total", o.total()));
                e.put("torch_step_ms", Map.of("forward", p.forward(), "backward", p.backward(), "optimizer", p.optimizer(), "total", p.total()));
                e.put("ratio", r.ratio());
                e.put("peak_backward_bytes", r.peakBackwardBytes());
                e.put("macs_per_step", r.macs());
                e.put("flops_per_step", 2 * r.macs());
                jr.add(e);
            }
            AtomicFiles.writeString(out.resolve("step.csv"), csv.toString());
            AtomicFiles.writeString(out.resolve("results.md"), md.toString());
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("model", model);
            j.put("input", input);
            j.put("batch", batch);
            j.put("threads", t);
            j.put("pinning", result.pinning());
            j.put("vector", Vec.describe());
            j.put("rows", jr);
            Output.print(json, j, () -> md + "\nwrote " + out.resolve("results.md") + ", step.csv");
            return 0;
        }
    }
}
