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
import org.lance4j.app.EnergyExperiment;
import org.lance4j.app.FinetuneExperiment;
import org.lance4j.app.PaperMemory;
import org.lance4j.kernel.Vec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The paper's experiments: {@code finetune} (Table 2's split protocol). */
@Command(name = "experiment", description = "The paper's experiments: finetune (split protocol, every method), energy (ε sweep) and cl "
        + "(continual learning: naive, GPM, LANCE-CL, joint).",
        subcommands = {ExperimentCommand.Finetune.class, ExperimentCommand.Energy.class, ExperimentCommand.Cl.class})
final class ExperimentCommand {
    @Command(name = "finetune", description = "Pretrain on Fashion-MNIST 0-4, fine-tune on 5-9 with bp, lance, hosvd and asi for 2 and 4 layers; "
            + "results.md, results.csv, results.json and charts in --out. --quick: 4000 pretraining images × 2 epochs, 2000 fine-tuning "
            + "images × 1 epoch, 1000 test images, K = 10; within 15 minutes on 2 cores.")
    static final class Finetune extends ThreadedCommand {

        /** --quick: 4000 pretraining images × 2 epochs, 2000 fine-tuning images × 1 epoch, 1000 test images, K = 10. */
        static final ProtocolOptions.Quick QUICK = new ProtocolOptions.Quick(4000, 2, 2000, 1000, 1, 10);

        @Mixin
        ProtocolOptions p;

        @Option(names = "--out", defaultValue = "results/experiment-finetune", description = "Output directory (default ${DEFAULT-VALUE}).")
        Path out;

        @Option(names = "--models", split = ",", defaultValue = "mobilenetv2,resnet18,mcunet", description = "Models (default ${DEFAULT-VALUE}).")
        List<String> models;

        @Option(names = "--methods", split = ",", defaultValue = "bp,lance,hosvd,asi", description = "Methods (default ${DEFAULT-VALUE}).")
        List<String> methods;

        @Option(names = "--layers", split = ",", defaultValue = "2,4", description = "Numbers of trained convolutions (default ${DEFAULT-VALUE}).")
        List<Integer> layers;

        @Option(names = "--input", defaultValue = "32", description = "Input size (default ${DEFAULT-VALUE}).")
        int input;

        @Option(names = "--stem", defaultValue = "standard", description = "auto, small or standard (default ${DEFAULT-VALUE}: torchvision's strides).")
        String stem;

        @Option(names = "--batch", defaultValue = "32", description = "Batch size (default ${DEFAULT-VALUE}).")
        int batch;






        @Option(names = "--energy", defaultValue = "0.7", description = "LANCE ε (default ${DEFAULT-VALUE}, the paper's).")
        double energy;

        @Option(names = "--hosvd-energy", defaultValue = "0.8", description = "HOSVD ε (default ${DEFAULT-VALUE}, the peers').")
        double hosvdEnergy;




        @Override
        Integer callOnThreads() throws Exception {
            ProtocolOptions.Quick q = p.resolve(QUICK);
            boolean quick = p.quick, json = p.json;
            FinetuneExperiment.Settings s = new FinetuneExperiment.Settings(models, methods, layers, input, PretrainCommand.stem(stem), batch,
                    q.pretrainImages(), q.pretrainEpochs(), q.trainImages(), q.testImages(), q.epochs(), energy, hosvdEnergy, q.calibrationBatches(), p.seed);
            long t0 = System.nanoTime();
            FinetuneExperiment.Result r = FinetuneExperiment.run(s, p.cacheDir(), new FinetuneExperiment.Listener() {
                @Override
                public void say(String line) {
                    if (!json) System.err.println(line);
                }

                @Override
                public void row(FinetuneExperiment.Row w) {
                    if (!json) System.err.printf(Locale.ROOT, "  -> accuracy %.4f, activation %s (measured peak %s), step %.1f ms (fwd %.1f, bwd %.1f), angle %.1f°%n",
                            w.accuracy(), Sizes.human(w.paperBytes()), Sizes.human(w.peakBytes()), w.totalMs(), w.forwardMs(), w.backwardMs(), w.angleDeg());
                }
            });
            double seconds = (System.nanoTime() - t0) / 1e9;
            String md = report(s, r, quick, seconds);
            writeAll(out, s, r, md);
            Map<String, Object> j = json(s, r, quick, seconds);
            AtomicFiles.writeString(out.resolve("results.json"), com.fasterxml.jackson.jr.ob.JSON.std.asString(j));
            j.put("out", out.toString());
            Output.print(json, j, () -> md + "\nwrote " + out.resolve("results.md") + ", results.csv, results.json, memory-vs-accuracy.png, latency.png");
            return 0;
        }
    }

    @Command(name = "energy", description = "LANCE at ε from 0.5 to 0.95 against full backprop on the split protocol: memory, accuracy, "
            + "gradient angle; results.md, results.csv, results.json and charts in --out. --quick: 6000 pretraining images × 2 epochs, "
            + "4000 fine-tuning images × 1 epoch, 2000 test images, K = 20.")
    static final class Energy extends ThreadedCommand {

        /** --quick: 6000 pretraining images × 2 epochs, 4000 fine-tuning images × 1 epoch, 2000 test images, K = 20. */
        static final ProtocolOptions.Quick QUICK = new ProtocolOptions.Quick(6000, 2, 4000, 2000, 1, 20);

        @Mixin
        ProtocolOptions p;

        @Option(names = "--out", defaultValue = "results/experiment-energy", description = "Output directory (default ${DEFAULT-VALUE}).")
        Path out;

        @Option(names = "--model", defaultValue = "smallcnn", description = "Model (default ${DEFAULT-VALUE}).", completionCandidates = ModelNames.class)
        String model;

        @Option(names = "--layers", defaultValue = "2", description = "Trained convolutions (default ${DEFAULT-VALUE}).")
        int layers;

        @Option(names = "--energies", split = ",", defaultValue = "0.5,0.6,0.7,0.8,0.9,0.95", description = "ε values (default ${DEFAULT-VALUE}).")
        double[] energies;

        @Option(names = "--input", defaultValue = "28", description = "Input size (default ${DEFAULT-VALUE}).")
        int input;

        @Option(names = "--stem", defaultValue = "auto", description = "auto, small or standard (default ${DEFAULT-VALUE}).")
        String stem;

        @Option(names = "--batch", defaultValue = "64", description = "Batch size (default ${DEFAULT-VALUE}).")
        int batch;









        @Override
        Integer callOnThreads() throws Exception {
            for (double e : energies) if (!(e > 0 && e <= 1)) throw new IllegalArgumentException("--energies: each ε must be in (0, 1], got " + e);
            ProtocolOptions.Quick q = p.resolve(QUICK);
            boolean json = p.json;
            FinetuneExperiment.Settings s = new FinetuneExperiment.Settings(List.of(model), List.of("lance"), List.of(layers), input,
                    PretrainCommand.stem(stem), batch, q.pretrainImages(), q.pretrainEpochs(), q.trainImages(), q.testImages(), q.epochs(), 0.7, 0.8,
                    q.calibrationBatches(), p.seed);
            long t0 = System.nanoTime();
            EnergyExperiment.Result r = EnergyExperiment.run(s, energies, p.cacheDir(), line -> {
                if (!json) System.err.println(line);
            });
            double seconds = (System.nanoTime() - t0) / 1e9;
            StringBuilder md = new StringBuilder("# Energy sweep: LANCE at each ε against full backprop\n\n");
            md.append(String.format(Locale.ROOT, "%s at %d px, pretrained on Fashion-MNIST 0-4 (test accuracy %.4f), last %d convolutions + a new head "
                    + "fine-tuned on 5-9 (%d epoch%s, batch %d, %s training images, %d calibration batches). Angle: between LANCE's weight gradient and "
                    + "the exact one on a probe batch at the final weights. Total %.0f s.%n%n", model, input, r.pretrained().accuracy(), layers,
                    s.epochs(), s.epochs() == 1 ? "" : "s", batch, s.trainImages() == 0 ? "all" : Integer.toString(s.trainImages()),
                    s.calibrationBatches(), seconds));
            md.append("| ε | ranks (C, H, W) per layer | test acc | Δ vs bp | activation (paper) | × smaller | measured peak | angle ° | step ms |\n");
            md.append("|---:|---|---:|---:|---:|---:|---:|---:|---:|\n");
            md.append(String.format(Locale.ROOT, "| bp | full | %.4f | | %s | 1.0 | %s | 0 | %.1f |%n", r.bp().accuracy(), Sizes.human(r.bp().paperBytes()),
                    Sizes.human(r.bp().peakBytes()), r.bp().totalMs()));
            StringBuilder csv = new StringBuilder("energy,test_accuracy,activation_bytes,peak_backward_bytes,gradient_angle_deg,total_ms,ranks\n");
            csv.append(String.format(Locale.ROOT, "bp,%.4f,%d,%d,0,%.3f,full%n", r.bp().accuracy(), r.bp().paperBytes(), r.bp().peakBytes(), r.bp().totalMs()));
            List<Map<String, Object>> pts = new ArrayList<>();
            for (EnergyExperiment.Point p : r.points()) {
                StringBuilder rk = new StringBuilder();
                for (int[] x : p.ranks()) rk.append(rk.length() == 0 ? "" : " ").append(java.util.Arrays.toString(x).replace(" ", ""));
                md.append(String.format(Locale.ROOT, "| %.2f | %s | %.4f | %+.2f | %s | %.1f | %s | %.1f | %.1f |%n", p.energy(), rk, p.accuracy(),
                        100 * (p.accuracy() - r.bp().accuracy()), Sizes.human(p.paperBytes()), r.bp().paperBytes() / (double) p.paperBytes(),
                        Sizes.human(p.peakBytes()), p.angleDeg(), p.totalMs()));
                csv.append(String.format(Locale.ROOT, "%.2f,%.4f,%d,%d,%.3f,%.3f,%s%n", p.energy(), p.accuracy(), p.paperBytes(), p.peakBytes(),
                        p.angleDeg(), p.totalMs(), rk));
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("energy", p.energy());
                m.put("test_accuracy", p.accuracy());
                m.put("activation_mib", PaperMemory.mib(p.paperBytes()));
                m.put("peak_backward_bytes", p.peakBytes());
                m.put("gradient_angle_deg", p.angleDeg());
                pts.add(m);
            }
            md.append("\nCharts: `energy.png` (accuracy and angle), `energy-memory.png`.\n");
            AtomicFiles.writeString(out.resolve("results.md"), md.toString());
            AtomicFiles.writeString(out.resolve("results.csv"), csv.toString());
            double[] x = r.points().stream().mapToDouble(EnergyExperiment.Point::energy).toArray();
            Charts.lines(out.resolve("energy.png"), "LANCE against ε: accuracy and gradient angle", "energy threshold ε", "% / degrees", List.of(
                    new Charts.Series("test accuracy %", x, r.points().stream().mapToDouble(p -> 100 * p.accuracy()).toArray()),
                    new Charts.Series("bp accuracy %", x, r.points().stream().mapToDouble(p -> 100 * r.bp().accuracy()).toArray()),
                    new Charts.Series("gradient angle °", x, r.points().stream().mapToDouble(EnergyExperiment.Point::angleDeg).toArray())), false);
            Charts.lines(out.resolve("energy-memory.png"), "LANCE activation memory against ε", "energy threshold ε", "KiB", List.of(
                    new Charts.Series("paper metric (core + factors)", x, r.points().stream().mapToDouble(p -> p.paperBytes() / 1024.0).toArray()),
                    new Charts.Series("measured peak (backward-held)", x, r.points().stream().mapToDouble(p -> p.peakBytes() / 1024.0).toArray())), false);
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("model", model);
            j.put("layers", layers);
            j.put("bp", Map.of("test_accuracy", r.bp().accuracy(), "activation_mib", PaperMemory.mib(r.bp().paperBytes()),
                    "peak_backward_bytes", r.bp().peakBytes()));
            j.put("points", pts);
            j.put("seconds", seconds);
            AtomicFiles.writeString(out.resolve("results.json"), com.fasterxml.jackson.jr.ob.JSON.std.asString(j));
            j.put("out", out.toString());
            Output.print(json, j, () -> md + "\nwrote " + out.resolve("results.md") + ", results.csv, results.json, energy.png, energy-memory.png");
            return 0;
        }
    }

    @Command(name = "cl", description = "Continual learning, task-incremental: naive fine-tuning, GPM, LANCE-CL and joint training on "
            + "Split Fashion-MNIST (5 tasks × 2 classes) with alexnet-cl and resnet18-reduced, or Split CIFAR-100 (10 × 10) with --cifar100 DIR; "
            + "accuracy matrices, ACC, BWT, activation memory and the memory P, in --out. --quick: 1000 training and 500 test images per task, "
            + "1 epoch, within 15 minutes on 2 cores.")
    static final class Cl implements Callable<Integer> {
        @Option(names = "--quick", description = "1000 training and 500 test images per task, 1 epoch, 4 calibration batches.")
        boolean quick;

        @Option(names = "--out", defaultValue = "results/experiment-cl", description = "Output directory (default ${DEFAULT-VALUE}).")
        Path out;

        @Option(names = "--models", split = ",", defaultValue = "alexnet-cl,resnet18-reduced", description = "Models (default ${DEFAULT-VALUE}).")
        List<String> models;

        @Option(names = "--methods", split = ",", defaultValue = "naive,gpm,lance-cl,joint", description = "Methods (default ${DEFAULT-VALUE}).")
        List<String> methods;

        @Option(names = "--cifar100", description = "Split CIFAR-100 from this folder (the binary version: train.bin, test.bin) instead of "
                + "Split Fashion-MNIST; 10 tasks × 10 classes unless --tasks/--classes-per-task say otherwise.")
        Path cifar100;

        @Option(names = "--tasks", description = "Tasks (default 5 for Fashion-MNIST, 10 for CIFAR-100).")
        Integer tasks;

        @Option(names = "--classes-per-task", description = "Classes per task (default 2 for Fashion-MNIST, 10 for CIFAR-100).")
        Integer classesPerTask;

        @Option(names = "--train-images", description = "Training images per task (default: all; --quick 1000).")
        Integer trainImages;

        @Option(names = "--test-images", description = "Test images per task (default: all; --quick 500).")
        Integer testImages;

        @Option(names = "--epochs", description = "Epochs per task (default 3; --quick 1).")
        Integer epochs;

        @Option(names = "--batch", defaultValue = "64", description = "Batch size (default ${DEFAULT-VALUE}, GPM's).")
        int batch;

        @Option(names = "--lr", defaultValue = "0.05", description = "SGD learning rate (default ${DEFAULT-VALUE}).")
        float lr;

        @Option(names = "--momentum", defaultValue = "0.9", description = "SGD momentum (default ${DEFAULT-VALUE}).")
        float momentum;

        @Option(names = "--cl-threshold", defaultValue = "0.97", description = "Memory threshold after the first task (default ${DEFAULT-VALUE}).")
        double threshold;

        @Option(names = "--cl-threshold-step", defaultValue = "0.003", description = "Threshold increase per task (default ${DEFAULT-VALUE}).")
        double thresholdStep;

        @Option(names = "--memory-samples", defaultValue = "125", description = "Images of a finished task that build its memory (default ${DEFAULT-VALUE}, GPM's).")
        int memorySamples;

        @Option(names = "--calibration-batches", description = "LANCE-CL calibration batches before each task (default 10; --quick 4).")
        Integer calibrationBatches;

        @Option(names = "--energy", defaultValue = "0.9", description = "LANCE-CL ε of the L (and B) modes (default ${DEFAULT-VALUE}; the peers use 0.98, which keeps more than full backprop here).")
        double energy;

        @Option(names = "--input-energy", defaultValue = "0.9", description = "LANCE-CL ε of the input mode within the null space of P (default ${DEFAULT-VALUE}).")
        double inputEnergy;

        @Option(names = "--project-batch", description = "LANCE-CL also fixes a basis for the batch mode.")
        boolean projectBatch;

        @Option(names = "--seed", defaultValue = "233", description = "Seed (default ${DEFAULT-VALUE}).")
        long seed;

        @Option(names = "--threads", description = "Runs at once (default: the number of cores). Each run is single-threaded; "
                + "results do not depend on this.")
        Integer threads;

        @Option(names = "--json", description = "Print exactly one JSON object on stdout.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            int th = threads != null ? threads : Runtime.getRuntime().availableProcessors();
            if (th < 1) throw new IllegalArgumentException("--threads must be ≥ 1, got " + th);
            List<org.lance4j.app.ContinualLearning.Method> ms = new ArrayList<>();
            for (String m : methods) {
                org.lance4j.app.ContinualLearning.Method x = org.lance4j.app.ContinualLearning.Method.parse(m);
                if (ms.contains(x)) throw new IllegalArgumentException("--methods names " + x.id + " twice");
                ms.add(x);
            }
            for (String m : models) {   // refuse an unknown name now, under this command's flag
                if (!org.lance4j.models.Zoo.NAMES.contains(m.toLowerCase(Locale.ROOT))) {
                    throw new IllegalArgumentException("--models: '" + m + "' is not one of " + org.lance4j.models.Zoo.NAMES);
                }
            }
            boolean cifar = cifar100 != null;
            String data = cifar ? "cifar100:" + cifar100 : "fmnist";
            org.lance4j.app.ContinualLearning.Config c = new org.lance4j.app.ContinualLearning.Config(epochs != null ? epochs : quick ? 1 : 3, batch, lr,
                    momentum, 100, threshold, thresholdStep, memorySamples, calibrationBatches != null ? calibrationBatches : quick ? 4 : 10, energy,
                    inputEnergy, projectBatch, seed);
            org.lance4j.app.ClExperiment.Settings s = new org.lance4j.app.ClExperiment.Settings(models, ms, data,
                    tasks != null ? tasks : cifar ? 10 : 5, classesPerTask != null ? classesPerTask : cifar ? 10 : 2,
                    trainImages != null ? trainImages : quick ? 1000 : 0, testImages != null ? testImages : quick ? 500 : 0, c);
            boolean js = json;
            long t0 = System.nanoTime();
            org.lance4j.app.ClExperiment.Result r = org.lance4j.app.ClExperiment.run(s, out, th, new org.lance4j.app.ContinualLearning.Listener() {
                @Override
                public void phase(String text) {
                    if (!js) System.err.printf(Locale.ROOT, "[%6.1f s] %s%n", (System.nanoTime() - t0) / 1e9, text);
                }
            });
            org.lance4j.app.ClExperiment.write(out, r, quick);
            Map<String, Object> j = org.lance4j.app.ClExperiment.json(r, quick);
            j.put("out", out.toString());
            String md = org.lance4j.app.ClExperiment.markdown(r, quick);
            Output.print(json, j, () -> md + "\nwrote " + out.resolve("results.md") + ", results.csv, results.json, accuracy-*.csv/png, bases/");
            return 0;
        }
    }

    static FinetuneExperiment.Row find(List<FinetuneExperiment.Row> rows, String model, int layers, String method) {
        for (FinetuneExperiment.Row r : rows) if (r.model().equals(model) && r.layers() == layers && r.method().equals(method)) return r;
        return null;
    }

    static String report(FinetuneExperiment.Settings s, FinetuneExperiment.Result r, boolean quick, double seconds) {
        StringBuilder md = new StringBuilder("# Fine-tuning experiment: the split protocol (Table 2)\n\n");
        md.append(String.format(Locale.ROOT, """
                Pretrained on Fashion-MNIST classes 0-4 (%s images, %d epochs), fine-tuned on classes 5-9 (%s images, %d epoch%s, tested on %s \
                images) with a new head: the last N convolutions with groups == 1 plus the head, BN frozen, SGD lr 0.05 momentum 0.9 wd 1e-4, \
                cosine to 0.01·lr, clipping 2.0. Input %d px (%s stem), 3 channels, batch %d. LANCE ε %s calibrated on %d batches of the \
                fine-tuning data; ASI's ranks from its budget search at LANCE's memory for the same N; HOSVD ε %s every step. \
                Times are medians of the last epoch's steps, one thread, vector width %s. %s Total %.0f s.

                """, s.pretrainImages() == 0 ? "all" : Integer.toString(s.pretrainImages()), s.pretrainEpochs(),
                s.trainImages() == 0 ? "all" : Integer.toString(s.trainImages()), s.epochs(), s.epochs() == 1 ? "" : "s",
                s.testImages() == 0 ? "all" : Integer.toString(s.testImages()), s.input(), s.stem() == null ? "auto" : s.stem() ? "small" : "standard",
                s.batch(), s.energy(), s.calibrationBatches(), s.hosvdEnergy(), Vec.describe(), quick ? "Run with --quick." : "", seconds));
        md.append("| model | pretrained acc (0-4) | pretraining s |\n|---|---:|---:|\n");
        for (FinetuneExperiment.Pretrained p : r.pretrained()) {
            md.append(String.format(Locale.ROOT, "| %s | %.4f | %s |%n", p.model(), p.accuracy(), p.cached() ? "cached" : String.format(Locale.ROOT, "%.0f", p.seconds())));
        }
        md.append("\n| model | N | method | test acc | Δ acc vs bp | activation MiB (paper) | × smaller | measured peak | MMAC fwd | MMAC bwd | fwd ms | bwd ms | opt ms | total ms | angle ° |\n");
        md.append("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (FinetuneExperiment.Row w : r.rows()) {
            FinetuneExperiment.Row bp = find(r.rows(), w.model(), w.layers(), "bp");
            md.append(String.format(Locale.ROOT, "| %s | %d | %s | %.4f | %s | %.4f | %s | %s | %.1f | %.1f | %.1f | %.1f | %.2f | %.1f | %.1f |%n",
                    w.model(), w.layers(), w.method(), w.accuracy(), bp == null ? "" : String.format(Locale.ROOT, "%+.2f", 100 * (w.accuracy() - bp.accuracy())),
                    PaperMemory.mib(w.paperBytes()), bp == null ? "" : String.format(Locale.ROOT, "%.1f", bp.paperBytes() / (double) w.paperBytes()),
                    Sizes.human(w.peakBytes()), w.macsForward() / 1e6, w.macsBackward() / 1e6, w.forwardMs(), w.backwardMs(), w.optimizerMs(),
                    w.totalMs(), w.angleDeg()));
        }
        md.append("\n## Targets\n\n");
        for (String t : targets(r.rows())) md.append("- ").append(t).append('\n');
        md.append("\nCharts: `memory-vs-accuracy.png`, `latency.png`. Data: `results.csv`, `results.json`.\n");
        return md.toString();
    }

    /** The targets, each with its measured numbers and MET or MISSED. */
    static List<String> targets(List<FinetuneExperiment.Row> rows) {
        List<String> out = new ArrayList<>();
        for (FinetuneExperiment.Row w : rows) {
            if (!w.method().equals("lance")) continue;
            FinetuneExperiment.Row bp = find(rows, w.model(), w.layers(), "bp");
            if (bp == null) continue;
            double d = 100 * (w.accuracy() - bp.accuracy()), x = bp.paperBytes() / (double) w.paperBytes();
            boolean met = d >= -2 && x >= 10;
            out.add(String.format(Locale.ROOT, "%s, %d layers: LANCE %+.2f points vs bp, %.1f× less activation memory — %s (target: within 2 points at ≥ 10×)%s",
                    w.model(), w.layers(), d, x, met ? "MET" : "MISSED",
                    w.model().equals("mobilenetv2") || w.model().equals("resnet18") ? "" : " [not a target model]"));
        }
        for (FinetuneExperiment.Row w : rows) {
            if (!w.method().equals("lance") || w.layers() != 4) continue;
            FinetuneExperiment.Row bp = find(rows, w.model(), 4, "bp"), ho = find(rows, w.model(), 4, "hosvd");
            if (bp != null) {
                out.add(String.format(Locale.ROOT, "%s, 4 layers: LANCE step %.1f ms vs bp %.1f ms (ratio %.2f) — %s (target: LANCE faster)", w.model(),
                        w.totalMs(), bp.totalMs(), w.totalMs() / bp.totalMs(), w.totalMs() < bp.totalMs() ? "MET" : "MISSED"));
            }
            if (bp != null && ho != null) {
                out.add(String.format(Locale.ROOT, "%s, 4 layers: HOSVD step %.1f ms vs bp %.1f and LANCE %.1f — %s (target: HOSVD slower than both)",
                        w.model(), ho.totalMs(), bp.totalMs(), w.totalMs(), ho.totalMs() > bp.totalMs() && ho.totalMs() > w.totalMs() ? "MET" : "MISSED"));
            }
        }
        for (FinetuneExperiment.Row w : rows) {
            if (!w.method().equals("asi")) continue;
            out.add(String.format(Locale.ROOT, "%s, %d layers: ASI memory %,d bytes vs its budget %,d — %s", w.model(), w.layers(), w.paperBytes(),
                    w.budgetBytes(), w.paperBytes() <= w.budgetBytes() ? "MET" : "MISSED"));
        }
        return out;
    }

    static void writeAll(Path out, FinetuneExperiment.Settings s, FinetuneExperiment.Result r, String md) throws java.io.IOException {
        StringBuilder csv = new StringBuilder("model,layers,method,test_accuracy,activation_bytes,activation_mib,peak_backward_bytes,macs_forward,"
                + "macs_backward,forward_ms,backward_ms,optimizer_ms,total_ms,gradient_angle_deg,asi_budget_bytes,seconds\n");
        for (FinetuneExperiment.Row w : r.rows()) {
            csv.append(String.format(Locale.ROOT, "%s,%d,%s,%.4f,%d,%.6f,%d,%d,%d,%.3f,%.3f,%.3f,%.3f,%.3f,%d,%.1f%n", w.model(), w.layers(), w.method(),
                    w.accuracy(), w.paperBytes(), PaperMemory.mib(w.paperBytes()), w.peakBytes(), w.macsForward(), w.macsBackward(), w.forwardMs(),
                    w.backwardMs(), w.optimizerMs(), w.totalMs(), w.angleDeg(), w.budgetBytes(), w.seconds()));
        }
        AtomicFiles.writeString(out.resolve("results.csv"), csv.toString());
        AtomicFiles.writeString(out.resolve("results.md"), md);
        List<Charts.Series> mem = new ArrayList<>();
        for (String method : s.methods()) {
            List<FinetuneExperiment.Row> ms = r.rows().stream().filter(w -> w.method().equals(method)).toList();
            if (ms.isEmpty()) continue;
            mem.add(new Charts.Series(method, ms.stream().mapToDouble(w -> PaperMemory.mib(w.paperBytes())).toArray(),
                    ms.stream().mapToDouble(w -> 100 * w.accuracy()).toArray()));
        }
        Charts.scatter(out.resolve("memory-vs-accuracy.png"), "Activation memory (paper metric) against test accuracy, every model and N",
                "activation MiB (log scale)", "test accuracy %", mem, true);
        List<String> cats = new ArrayList<>();
        double[] f = new double[r.rows().size()], b = new double[f.length], o = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            FinetuneExperiment.Row w = r.rows().get(i);
            cats.add(w.model() + " N" + w.layers() + " " + w.method());
            f[i] = w.forwardMs();
            b[i] = w.backwardMs();
            o[i] = w.optimizerMs();
        }
        Map<String, double[]> parts = new LinkedHashMap<>();
        parts.put("forward", f);
        parts.put("backward", b);
        parts.put("optimizer", o);
        Charts.stackedBars(out.resolve("latency.png"), "Step latency breakdown (median ms, batch " + s.batch() + ")", "ms per step", cats, parts);
    }

    static Map<String, Object> json(FinetuneExperiment.Settings s, FinetuneExperiment.Result r, boolean quick, double seconds) {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("quick", quick);
        j.put("input", s.input());
        j.put("batch", s.batch());
        j.put("seconds", seconds);
        List<Map<String, Object>> pre = new ArrayList<>();
        for (FinetuneExperiment.Pretrained p : r.pretrained()) pre.add(Map.of("model", p.model(), "test_accuracy", p.accuracy()));
        j.put("pretrained", pre);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (FinetuneExperiment.Row w : r.rows()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("model", w.model());
            m.put("layers", w.layers());
            m.put("method", w.method());
            m.put("test_accuracy", w.accuracy());
            m.put("activation_mib", PaperMemory.mib(w.paperBytes()));
            m.put("peak_backward_bytes", w.peakBytes());
            m.put("flops_per_step", Map.of("forward", 2 * w.macsForward(), "backward", 2 * w.macsBackward()));
            Map<String, Object> ms = new LinkedHashMap<>();
            ms.put("forward", w.forwardMs());
            ms.put("backward", w.backwardMs());
            ms.put("optimizer", w.optimizerMs());
            ms.put("total", w.totalMs());
            m.put("step_ms", ms);
            m.put("gradient_angle_deg", w.angleDeg());
            if (w.budgetBytes() >= 0) m.put("asi_budget_bytes", w.budgetBytes());
            rows.add(m);
        }
        j.put("rows", rows);
        j.put("targets", targets(r.rows()));
        return j;
    }
}
