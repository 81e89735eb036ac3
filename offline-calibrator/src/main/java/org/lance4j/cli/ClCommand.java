package org.lance4j.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.lance4j.app.ContinualLearning;
import org.lance4j.app.DataSpec;
import org.lance4j.app.Models;
import org.lance4j.app.Training;
import org.lance4j.calib.Calibrator;
import org.lance4j.calib.ContinualMemory;
import org.lance4j.calib.LayerInput;
import org.lance4j.calib.NullSpaceCalibrator;
import org.lance4j.compress.ConvBasis;
import org.lance4j.compress.SubspaceMemory;
import org.lance4j.data.Dataset;
import org.lance4j.graph.Model;
import org.lance4j.io.BasisFile;
import org.lance4j.models.Zoo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Continual learning one step at a time, the way a desktop and a device split it: {@code train} a task
 * (the device: task 1 with full backprop, later tasks with LANCE-CL's bases — read without P — or GPM's
 * memory, or nothing), {@code memory} after a task (the desktop: grow P from the finished task's data), and
 * {@code calibrate} before the next (the desktop: null-space bases, written with P into one basis file).
 */
@Command(name = "cl", description = "Continual learning step by step: train a task, build the memory after it, calibrate the next.",
        subcommands = {ClCommand.Train.class, ClCommand.Memory.class, ClCommand.Calibrate.class})
final class ClCommand {
    private ClCommand() { }

    /** The options every step shares. */
    static final class Common {
        @Option(names = "--seed", defaultValue = "233", description = "Seed (default ${DEFAULT-VALUE}).")
        long seed;

        @Option(names = "--json", description = "Print exactly one JSON object on stdout.")
        boolean json;
    }

    static Dataset[] splits(Models.Loaded m, String data) {
        DataSpec spec = DataSpec.parse(data);
        return new Dataset[] {m.prepare(spec.loadTrain(m.size())), m.prepare(spec.loadTest(m.size()))};
    }

    @Command(name = "train", description = "Train task T of a multi-head model: task 1 with full backprop (a new model with --model), "
            + "later tasks on the shared layers + head T with BN frozen — LANCE-CL with --basis, GPM with --gpm-memory, naive with neither.")
    static final class Train extends ThreadedCommand {

        @Option(names = "--task", required = true, description = "The task, from 1.")
        int task;

        @Option(names = "--model-file", description = "The model after the previous task (tasks ≥ 2).")
        Path modelFile;

        @Option(names = "--model", description = "Task 1: a new model of this zoo name (alexnet-cl, resnet18-reduced, ...).")
        String model;

        @Option(names = "--tasks", description = "Task 1 with --model: the number of tasks (one head each).")
        Integer tasks;

        @Option(names = "--classes", description = "Task 1 with --model: classes per task (default: the data's).")
        Integer classes;

        @Option(names = "--input", defaultValue = "28", description = "Task 1 with --model: input size (default ${DEFAULT-VALUE}).")
        int input;

        @Option(names = "--data", required = true, description = "The task's data, e.g. fmnist:classes=2-3.")
        String data;

        @Option(names = "--basis", description = "LANCE-CL: the task's basis file from ./lance4j cl calibrate (its P is skipped, not held).")
        Path basis;

        @Option(names = "--gpm-memory", description = "GPM: a memory file from ./lance4j cl memory; P is held and every gradient projected.")
        Path gpmMemory;

        @Option(names = "--epochs", defaultValue = "3", description = "Epochs (default ${DEFAULT-VALUE}).")
        int epochs;

        @Option(names = "--limit", description = "Train on at most this many images of the task (a seeded sample; default all).")
        Integer limit;

        @Option(names = "--batch", defaultValue = "64", description = "Batch size (default ${DEFAULT-VALUE}).")
        int batch;

        @Option(names = "--lr", defaultValue = "0.05", description = "SGD learning rate (default ${DEFAULT-VALUE}; momentum 0.9, no weight decay).")
        float lr;


        @Option(names = "--out", required = true, description = "Where to write the model after this task.")
        Path out;

        @Mixin
        Common common;

        @Override
        Integer callOnThreads() throws Exception {
            if (task < 1) throw new IllegalArgumentException("--task counts from 1, got " + task);
            if (basis != null && gpmMemory != null) throw new IllegalArgumentException("give --basis (LANCE-CL) or --gpm-memory (GPM), not both");
            Models.Loaded m;
            if (task == 1) {
                if (model == null || tasks == null || modelFile != null) {
                    throw new IllegalArgumentException("task 1 starts a new model: give --model NAME and --tasks T (not --model-file)");
                }
                Dataset probe = DataSpec.parse(data).loadTrain(input);
                int ch = probe.itemShape().dim(0);
                Model fresh = Model.initialized(Zoo.build(model, new Zoo.Options(ch, input, classes != null ? classes : probe.classes(), 1f, null, tasks)), common.seed);
                m = new Models.Loaded(fresh, probe.reshaped(ch, input, Dataset.Fit.RESIZE).statistics(), Dataset.Fit.RESIZE, Map.of());
            } else {
                if (modelFile == null) throw new IllegalArgumentException("--task " + task + " needs --model-file (the model after task " + (task - 1) + ")");
                m = Models.load(modelFile);
            }
            int n = m.model().spec().heads().size();
            if (task > n) throw new IllegalArgumentException("--task " + task + " but the model has " + n + " heads");
            Dataset[] d = splits(m, data);
            if (limit != null) {
                if (limit < batch) throw new IllegalArgumentException("--limit " + limit + " is smaller than one batch (--batch " + batch + ")");
                if (d[0].size() > limit) d[0] = d[0].shuffled(common.seed).range(0, limit, ":limit=" + limit);
            }
            ContinualLearning.Config c = new ContinualLearning.Config(epochs, batch, lr, 0.9f, 100, 0.97, 0.003, 125, 10, 0.9, 0.9, false, common.seed);
            Map<String, ConvBasis> bases = null;
            Set<String> frozen = Set.of();
            Map<String, SubspaceMemory> gpm = null;
            String method = task == 1 ? "bp" : "naive";
            if (basis != null) {
                BasisFile.Contents b = BasisFile.read(basis, false);   // the device: bases only
                b.checkFor(m.model(), batch, basis.toString());
                bases = b.layers();
                String f = b.settings().getOrDefault("frozen", "");
                if (!f.isBlank()) frozen = new LinkedHashSet<>(List.of(f.split(",")));
                method = "lance-cl";
            }
            if (gpmMemory != null) {
                gpm = BasisFile.read(gpmMemory, true).memory();
                method = "gpm";
            }
            long t0 = System.nanoTime();
            Training.Result r = ContinualLearning.trainTask(m.model(), task - 1, n, new ContinualLearning.Task(data, d[0], d[1]), m.normalization(), c,
                    bases, frozen, gpm, null);
            double acc = Training.evaluate(m.model(), d[1], m.normalization(), 100, m.model().spec().heads().get(task - 1));
            Map<String, String> meta = new LinkedHashMap<>(m.meta());
            meta.put("cl_task", Integer.toString(task));
            meta.put("cl_method", method);
            Models.save(out, m.model(), m.normalization(), m.fit(), meta);
            long held = 0;
            if (gpm != null) for (SubspaceMemory s : gpm.values()) held += s.bytes();
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("task", task);
            j.put("method", method);
            j.put("test_accuracy", acc);
            j.put("peak_backward_bytes", r.peakBackwardBytes());
            j.put("memory_held_bytes", held);
            j.put("seconds", (System.nanoTime() - t0) / 1e9);
            j.put("out", out.toString());
            long heldBytes = held;
            Output.print(common.json, j, () -> String.format(Locale.ROOT, "task %d (%s): test accuracy %.4f, peak backward-held %s, P held %s; wrote %s",
                    task, j.get("method"), acc, Sizes.human(r.peakBackwardBytes()), Sizes.human(heldBytes), out));
            return 0;
        }
    }

    @Command(name = "memory", description = "After task T: grow the memory P of every shared layer from the task's data (GPM's rule, "
            + "threshold 0.97 + 0.003·(T − 1) by default) and write it to a basis file.")
    static final class Memory extends ThreadedCommand {

        @Option(names = "--model-file", required = true, description = "The model after task T.")
        Path modelFile;

        @Option(names = "--data", required = true, description = "Task T's data.")
        String data;

        @Option(names = "--task", required = true, description = "T, the task just finished (from 1).")
        int task;

        @Option(names = "--memory", description = "The memory so far (after task T − 1); none for T = 1.")
        Path memory;

        @Option(names = "--threshold", defaultValue = "0.97", description = "ε after task 1 (default ${DEFAULT-VALUE}).")
        double threshold;

        @Option(names = "--threshold-step", defaultValue = "0.003", description = "ε increase per task (default ${DEFAULT-VALUE}).")
        double step;

        @Option(names = "--samples", defaultValue = "125", description = "Images of the task that build its representation (default ${DEFAULT-VALUE}).")
        int samples;


        @Option(names = "--out", required = true, description = "The memory file to write.")
        Path out;

        @Mixin
        Common common;

        @Override
        Integer callOnThreads() throws Exception {
            if (task < 1) throw new IllegalArgumentException("--task counts from 1, got " + task);
            Models.Loaded m = Models.load(modelFile);
            Map<String, SubspaceMemory> prev = memory == null ? Map.of() : BasisFile.read(memory, true).memory();
            double eps = ContinualMemory.threshold(task - 1, threshold, step);
            ContinualMemory.Result r = ContinualMemory.update(m.model(), splits(m, data)[0], m.normalization(), LayerInput.sharedLayers(m.model().spec()),
                    prev, eps, samples, common.seed);
            Map<String, String> settings = new LinkedHashMap<>();
            settings.put("cl_task", Integer.toString(task));
            settings.put("cl_threshold", Double.toString(eps));
            settings.put("data", data);
            BasisFile.write(out, m.model(), settings, Map.of(), r.memory());
            StringBuilder h = new StringBuilder(String.format(Locale.ROOT, "memory after task %d (ε %.3f), %s:", task, eps, Sizes.human(r.bytes())));
            Map<String, Object> layers = new LinkedHashMap<>();
            for (ContinualMemory.LayerUpdate u : r.updates()) {
                h.append(String.format(Locale.ROOT, "%n  %-24s k %d/%d (+%d), spanned %.4f -> %.4f", u.node(), u.before() + u.added(), u.d(), u.added(),
                        u.spannedBefore(), u.spannedAfter()));
                layers.put(u.node(), Map.of("d", u.d(), "k", u.before() + u.added(), "added", u.added()));
            }
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("task", task);
            j.put("threshold", eps);
            j.put("memory_bytes", r.bytes());
            j.put("layers", layers);
            j.put("out", out.toString());
            Output.print(common.json, j, () -> h + "\nwrote " + out);
            return 0;
        }
    }

    @Command(name = "calibrate", description = "Before a task: LANCE-CL's null-space calibration on its data — bases for every shared layer "
            + "(convolutions unfolded), the input mode orthogonal to the memory — written with P to one basis file.")
    static final class Calibrate extends ThreadedCommand {

        @Option(names = "--model-file", required = true, description = "The model the task starts from.")
        Path modelFile;

        @Option(names = "--data", required = true, description = "The new task's data.")
        String data;

        @Option(names = "--memory", required = true, description = "The memory file from ./lance4j cl memory.")
        Path memory;

        @Option(names = "--energy", defaultValue = "0.9", description = "ε of the L (and B) modes (default ${DEFAULT-VALUE}).")
        double energy;

        @Option(names = "--input-energy", defaultValue = "0.9", description = "ε of the input mode within the null space of P (default ${DEFAULT-VALUE}).")
        double inputEnergy;

        @Option(names = "--batches", defaultValue = "10", description = "Calibration batches K (default ${DEFAULT-VALUE}).")
        int batches;

        @Option(names = "--batch", defaultValue = "64", description = "Batch size, fixed for training (default ${DEFAULT-VALUE}).")
        int batch;

        @Option(names = "--project-batch", description = "Also fix a basis for the batch mode.")
        boolean projectBatch;


        @Option(names = "--out", required = true, description = "The task's basis file to write.")
        Path out;

        @Mixin
        Common common;

        @Override
        Integer callOnThreads() throws Exception {
            Models.Loaded m = Models.load(modelFile);
            Map<String, SubspaceMemory> p = BasisFile.read(memory, true).memory();
            if (p.isEmpty()) throw new IllegalArgumentException(memory + ": holds no memory; write one with ./lance4j cl memory");
            NullSpaceCalibrator.Result r = NullSpaceCalibrator.calibrate(m.model(), splits(m, data)[0], m.normalization(),
                    new NullSpaceCalibrator.Settings(LayerInput.sharedLayers(m.model().spec()), energy, inputEnergy, batches, batch, projectBatch, common.seed), p, null);
            Map<String, String> settings = new LinkedHashMap<>();
            settings.put("method", "lance-cl");
            settings.put("energy", Double.toString(energy));
            settings.put("input_energy", Double.toString(inputEnergy));
            settings.put("batches", Integer.toString(batches));
            settings.put("batch", Integer.toString(batch));
            settings.put("data", data);
            settings.put("frozen", String.join(",", r.frozen()));
            BasisFile.write(out, m.model(), settings, r.bases(), p);
            long bytes = 0;
            StringBuilder h = new StringBuilder("null-space bases:");
            Map<String, Object> layers = new LinkedHashMap<>();
            for (Calibrator.Layer l : r.layers().values()) {
                bytes += l.coreBytes() + l.factorBytes();
                ConvBasis b = l.basis();
                h.append(String.format(Locale.ROOT, "%n  %-24s r_in %d/%d%s, core + factors %s", l.node(), b.rC(), b.c(),
                        b.unfolded() ? ", r_L " + b.rH() + "/" + b.h() : "", Sizes.human(l.coreBytes() + l.factorBytes())));
                layers.put(l.node(), Map.of("r_in", b.rC(), "d", b.c(), "r_l", b.rH(), "bytes", l.coreBytes() + l.factorBytes()));
            }
            for (String f : r.frozen()) h.append(String.format(Locale.ROOT, "%n  %-24s frozen: the memory spans all its inputs", f));
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("layers", layers);
            j.put("frozen", List.copyOf(r.frozen()));
            j.put("activation_mib", bytes / (double) (1 << 20));
            j.put("out", out.toString());
            long total = bytes;
            Output.print(common.json, j, () -> h + String.format(Locale.ROOT, "%ntotal %s; wrote %s", Sizes.human(total), out));
            return 0;
        }
    }
}
