package org.lance4j.app;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.lance4j.calib.Calibrator;
import org.lance4j.calib.ContinualMemory;
import org.lance4j.calib.LayerInput;
import org.lance4j.calib.NullSpaceCalibrator;
import org.lance4j.compress.ConvBasis;
import org.lance4j.compress.SubspaceMemory;
import org.lance4j.data.BatchLoader;
import org.lance4j.data.Dataset;
import org.lance4j.data.Normalization;
import org.lance4j.graph.Graph;
import org.lance4j.graph.Model;
import org.lance4j.graph.TrainableRule;
import org.lance4j.train.GradientProjection;
import org.lance4j.train.Sgd;
import org.lance4j.train.SgdConfig;
import org.lance4j.train.Trainer;

/**
 * Task-incremental continual learning (Phase III), one head per task, four methods in one engine:
 * <ul>
 *   <li>{@code naive}: every task with full backprop of the shared layers and its head; nothing protected.</li>
 *   <li>{@code gpm}: after each task the memory P grows ({@link ContinualMemory}); later tasks train with full
 *       backprop and every shared weight gradient projected, g ← g − g P Pᵀ — P is held while training.</li>
 *   <li>{@code lance-cl}: the same memory, but before each task the null-space calibration
 *       ({@link NullSpaceCalibrator}) makes bases whose span avoids P; the task trains with LANCE's compressed
 *       stores on those bases, and the device holds the bases only.</li>
 *   <li>{@code joint}: every task's data at once (batches taken in turn from each task, each through its head),
 *       the multitask upper bound; its accuracy matrix has only the last row.</li>
 * </ul>
 * Task 1 trains with full backprop for every method (naive, GPM and LANCE-CL share it: {@link #firstTask});
 * after it BN is frozen (its affine parameters stop training; running statistics, when tracked, stop moving).
 * SGD without weight decay: decay would move weights along P.
 */
public final class ContinualLearning {
    public enum Method {
        NAIVE("naive"), GPM("gpm"), LANCE_CL("lance-cl"), JOINT("joint");

        public final String id;

        Method(String id) {
            this.id = id;
        }

        public static Method parse(String s) {
            for (Method m : values()) if (m.id.equals(s.toLowerCase(Locale.ROOT).trim())) return m;
            throw new IllegalArgumentException("--methods: '" + s + "' is not one of naive, gpm, lance-cl, joint");
        }

        public boolean sequential() {
            return this != JOINT;
        }
    }

    public record Task(String name, Dataset train, Dataset test) { }

    /**
     * @param thresholdBase  ε_cl(t) = base + step·t (t = 0-based task just finished): 0.97, 0.003 by default
     * @param memorySamples  images of a finished task that make its representation (GPM: 125)
     * @param energy         LANCE-CL: energy of the L (and B) modes
     * @param inputEnergy    LANCE-CL: energy of the input mode within the null space of P
     */
    public record Config(int epochs, int batch, float lr, float momentum, int evalBatch, double thresholdBase, double thresholdStep,
                         int memorySamples, int calibrationBatches, double energy, double inputEnergy, boolean projectBatch, long seed) {
        public Config {
            if (epochs < 1) throw new IllegalArgumentException("--epochs must be ≥ 1, got " + epochs);
            if (batch < 2) throw new IllegalArgumentException("--batch must be ≥ 2 (BN statistics), got " + batch);
            if (evalBatch < 2) throw new IllegalArgumentException("the evaluation batch must be ≥ 2, got " + evalBatch);
            if (!(thresholdBase > 0 && thresholdBase <= 1)) throw new IllegalArgumentException("--cl-threshold must be in (0, 1], got " + thresholdBase);
            if (!(thresholdStep >= 0)) throw new IllegalArgumentException("--cl-threshold-step must be ≥ 0, got " + thresholdStep);
        }

        SgdConfig sgd() {
            return new SgdConfig(lr, momentum, 0f, false, 0f, 0, 1f);
        }
    }

    /**
     * One task of one method.
     *
     * @param peakBackwardBytes   measured peak of the backward-held arena while training it (cores, factors, inputs, masks)
     * @param activationBytes     the shared layers' stores only: full inputs for backprop, core + factors for LANCE-CL
     * @param memoryHeldBytes     bytes of P on the device while training (GPM only)
     * @param memoryBytes         bytes of P after the task (LANCE-CL keeps it offline, in the basis files)
     */
    public record TaskReport(int task, double seconds, double trainLoss, long peakBackwardBytes, long activationBytes, long memoryHeldBytes,
                             long memoryBytes, List<ContinualMemory.LayerUpdate> memoryUpdates, Map<String, Calibrator.Layer> bases,
                             Set<String> frozen, Map<String, SubspaceMemory> memory) { }

    /** A method's run: A[t][i] = accuracy on task i after training task t (NaN where not measured). */
    public record Run(Method method, double[][] accuracy, List<TaskReport> tasks, Map<String, SubspaceMemory> memory, Model model) {
        public double acc() {
            return ContinualLearning.acc(accuracy);
        }

        public double bwt() {
            return method == Method.JOINT ? Double.NaN : ContinualLearning.bwt(accuracy);
        }

        /** The largest measured peak over the tasks after the first (all tasks for joint). */
        public long peakBackwardBytes() {
            return tasks.stream().filter(t -> t.task > 0 || method == Method.JOINT).mapToLong(TaskReport::peakBackwardBytes).max().orElse(0);
        }

        public long activationBytes() {
            return tasks.stream().filter(t -> t.task > 0 || method == Method.JOINT).mapToLong(TaskReport::activationBytes).max().orElse(0);
        }

        public long memoryHeldBytes() {
            return tasks.stream().mapToLong(TaskReport::memoryHeldBytes).max().orElse(0);
        }

        public long memoryBytes() {
            long b = 0;
            for (SubspaceMemory m : memory.values()) b += m.bytes();
            return b;
        }
    }

    /** Progress: phases as text, and the epoch/batch callbacks of {@link Training.Listener}. */
    public interface Listener extends Training.Listener {
        default void phase(String text) { }
    }

    private ContinualLearning() { }

    /** ACC = mean_i A[T−1][i]. */
    public static double acc(double[][] a) {
        int t = a.length;
        double s = 0;
        for (int i = 0; i < t; i++) s += a[t - 1][i];
        return s / t;
    }

    /** BWT = mean_{i&lt;T−1} (A[T−1][i] − A[i][i]); 0 for one task. */
    public static double bwt(double[][] a) {
        int t = a.length;
        if (t < 2) return 0;
        double s = 0;
        for (int i = 0; i < t - 1; i++) s += a[t - 1][i] - a[i][i];
        return s / (t - 1);
    }

    static String head(Model m, int task, int tasks) {
        List<String> heads = m.spec().heads();
        if (heads.size() < tasks) {
            throw new IllegalArgumentException("model '" + m.spec().name() + "' has " + heads.size() + " head(s) but there are " + tasks
                    + " tasks; build it with one head per task");
        }
        return heads.get(task);
    }

    /** Task 1 with full backprop of everything (BN included): the start that naive, GPM and LANCE-CL share. */
    public static TaskReport firstTask(Model model, List<Task> tasks, Normalization norm, Config c, Listener l) {
        if (l != null) l.phase("task 1/" + tasks.size() + ": full backprop");
        long t0 = System.nanoTime();
        Training.Result r = trainTask(model, 0, tasks.size(), tasks.get(0), norm, c, null, null, null, l);
        long act = 0;
        for (String node : LayerInput.sharedLayers(model.spec())) act += 4L * c.batch() * LayerInput.of(model.spec(), node).itemSize();
        return new TaskReport(0, (System.nanoTime() - t0) / 1e9, r.last().trainLoss(), r.peakBackwardBytes(), act, 0, 0, List.of(), Map.of(), Set.of(), Map.of());
    }

    /**
     * Trains one task (0-based t of n) as the methods do: task 0 with full backprop of everything; later tasks
     * train every shared layer and head t with BN frozen, with LANCE-CL's bases when given (layers in
     * {@code frozen} not trained), GPM's projection when a memory is given, plain backprop (naive) otherwise.
     */
    public static Training.Result trainTask(Model model, int t, int n, Task task, Normalization norm, Config c, Map<String, ConvBasis> bases,
                                            Set<String> frozen, Map<String, SubspaceMemory> gpm, Listener l) {
        boolean hasBases = bases != null && !bases.isEmpty(), hasGpm = gpm != null && !gpm.isEmpty();
        if (hasBases && hasGpm) throw new IllegalArgumentException("a task trains with LANCE-CL's bases or with GPM's memory, not both");
        if (t == 0) {
            if (hasBases || hasGpm) throw new IllegalArgumentException("task 1 trains with full backprop: it has no memory to protect yet");
            Graph.Config cfg = Graph.Config.train(c.batch(), TrainableRule.all()).withOutput(head(model, 0, n)).withSeed(c.seed());
            return fit(model, cfg, c, task, norm, l, g -> null);
        }
        TrainableRule rule = TrainableRule.allButBatchNorm().except(frozen == null ? Set.of() : frozen);
        Graph.Config cfg = Graph.Config.train(c.batch(), rule).withOutput(head(model, t, n)).withFrozenBatchNorm().withSeed(c.seed() + t);
        if (hasBases) cfg = cfg.withCompression(bases);
        java.util.function.Function<Graph, GradientProjection> projection = g -> null;
        if (hasGpm) {
            Map<String, float[]> ps = new LinkedHashMap<>();
            gpm.forEach((k, v) -> ps.put(k, v.p()));
            projection = g -> new GradientProjection(g, ps);
        }
        return fit(model, cfg, c, task, norm, l, projection);
    }

    private static Training.Result fit(Model model, Graph.Config cfg, Config c, Task t, Normalization norm, Listener l,
                                       java.util.function.Function<Graph, GradientProjection> projection) {
        BatchLoader loader = new BatchLoader(t.train(), norm, c.batch(), true, BatchLoader.Augment.NONE, c.seed());
        return Training.fit(model, cfg, c.sgd(), loader, null, norm, c.epochs(), c.evalBatch(), l, projection);
    }

    /**
     * A sequential method from the model after task 1 (copied; {@code first} is its task-1 report) through
     * the remaining tasks.
     */
    public static Run runSequential(Method m, Model afterFirst, TaskReport first, List<Task> tasks, Normalization norm, Config c, Listener l) {
        if (!m.sequential()) throw new IllegalArgumentException(m.id + " is not sequential");
        Model model = afterFirst.copy();
        int n = tasks.size();
        double[][] a = nanMatrix(n);
        a[0][0] = evaluate(model, tasks, 0, norm, c);
        List<TaskReport> reports = new ArrayList<>(List.of(first));
        List<String> shared = LayerInput.sharedLayers(model.spec());
        Map<String, SubspaceMemory> memory = new LinkedHashMap<>();
        for (int t = 1; t < n; t++) {
            long t0 = System.nanoTime();
            List<ContinualMemory.LayerUpdate> updates = List.of();
            if (m != Method.NAIVE) {
                if (l != null) l.phase(m.id + ": memory after task " + t);
                ContinualMemory.Result mem = ContinualMemory.update(model, tasks.get(t - 1).train(), norm, shared, memory,
                        ContinualMemory.threshold(t - 1, c.thresholdBase(), c.thresholdStep()), c.memorySamples(), c.seed());
                memory = mem.memory();
                updates = mem.updates();
            }
            Map<String, Calibrator.Layer> bases = Map.of();
            Set<String> frozen = Set.of();
            long held = 0, act = 0;
            if (m == Method.LANCE_CL) {
                if (l != null) l.phase(m.id + ": null-space calibration for task " + (t + 1));
                NullSpaceCalibrator.Result cal = NullSpaceCalibrator.calibrate(model, tasks.get(t).train(), norm,
                        new NullSpaceCalibrator.Settings(shared, c.energy(), c.inputEnergy(), c.calibrationBatches(), c.batch(), c.projectBatch(), c.seed() + t),
                        memory, null);
                bases = cal.layers();
                frozen = cal.frozen();
                for (Calibrator.Layer b : bases.values()) act += b.coreBytes() + b.factorBytes();
            } else {
                for (String node : shared) act += 4L * c.batch() * LayerInput.of(model.spec(), node).itemSize();
            }
            if (m == Method.GPM) for (SubspaceMemory e : memory.values()) held += e.bytes();
            if (l != null) l.phase(m.id + ": task " + (t + 1) + "/" + n);
            Map<String, ConvBasis> b = new LinkedHashMap<>();
            bases.forEach((k, v) -> b.put(k, v.basis()));
            Training.Result r = trainTask(model, t, n, tasks.get(t), norm, c, b, frozen, m == Method.GPM ? memory : null, l);
            for (int i = 0; i <= t; i++) a[t][i] = evaluate(model, tasks, i, norm, c);
            long memBytes = 0;
            for (SubspaceMemory s : memory.values()) memBytes += s.bytes();
            reports.add(new TaskReport(t, (System.nanoTime() - t0) / 1e9, r.last().trainLoss(), r.peakBackwardBytes(), act, held, memBytes,
                    updates, bases, frozen, memory));
        }
        return new Run(m, a, reports, memory, model);
    }

    /** Joint multitask training from a fresh model: each epoch takes one batch of every task in turn, each through its head. */
    public static Run runJoint(Model model, List<Task> tasks, Normalization norm, Config c, Listener l) {
        int n = tasks.size();
        long t0 = System.nanoTime();
        if (l != null) l.phase("joint: all " + n + " tasks at once");
        Trainer[] trainers = new Trainer[n];
        BatchLoader[] loaders = new BatchLoader[n];
        for (int t = 0; t < n; t++) {
            Graph g = Graph.plan(model, Graph.Config.train(c.batch(), TrainableRule.all()).withOutput(head(model, t, n)).withSeed(c.seed() + t));
            trainers[t] = new Trainer(g, new Sgd(g, c.sgd()), 16);
            loaders[t] = new BatchLoader(tasks.get(t).train(), norm, c.batch(), true, BatchLoader.Augment.NONE, c.seed() + t);
        }
        double lossSum = 0;
        long steps = 0;
        for (int e = 0; e < c.epochs(); e++) {
            for (BatchLoader b : loaders) b.startEpoch();
            boolean any = true;
            int batch = 0;
            while (any) {
                any = false;
                for (int t = 0; t < n; t++) {
                    if (!loaders[t].hasNext()) continue;
                    loaders[t].next();
                    lossSum += trainers[t].step(loaders[t].images(), 0, loaders[t].batchShape(), loaders[t].labels(), 0);
                    steps++;
                    any = true;
                }
                batch++;
                if (l != null) {
                    l.batch(e + 1, c.epochs(), batch, loaders[0].batchesPerEpoch(), lossSum / Math.max(1, steps), Double.NaN);
                    if (l.cancelled()) break;
                }
            }
        }
        double[][] a = nanMatrix(n);
        for (int i = 0; i < n; i++) a[n - 1][i] = evaluate(model, tasks, i, norm, c);
        long peak = 0, act = 0;
        for (Trainer t : trainers) peak = Math.max(peak, t.graph().held().peakBytes());
        for (String node : LayerInput.sharedLayers(model.spec())) act += 4L * c.batch() * LayerInput.of(model.spec(), node).itemSize();
        TaskReport r = new TaskReport(n - 1, (System.nanoTime() - t0) / 1e9, lossSum / Math.max(1, steps), peak, act, 0, 0, List.of(), Map.of(), Set.of(), Map.of());
        return new Run(Method.JOINT, a, List.of(r), Map.of(), model);
    }

    /**
     * Split a labelled set into tasks of consecutive classes, relabelled from 0 within each task:
     * Split Fashion-MNIST is 5 × 2 (classes 0-1, 2-3, …), Split CIFAR-100 10 × 10.
     *
     * @param trainLimit at most this many training images per task (0: all), the first ones
     * @param testLimit  at most this many test images per task (0: all)
     */
    public static List<Task> split(Dataset train, Dataset test, int tasks, int perTask, int trainLimit, int testLimit) {
        if (tasks < 2) throw new IllegalArgumentException("--tasks must be ≥ 2, got " + tasks);
        if (tasks * perTask > train.classes()) {
            throw new IllegalArgumentException("--tasks " + tasks + " × --classes-per-task " + perTask + " need " + tasks * perTask + " classes but "
                    + train.name() + " has " + train.classes());
        }
        List<Task> out = new ArrayList<>();
        for (int t = 0; t < tasks; t++) {
            int from = t * perTask, to = from + perTask - 1;
            Dataset tr = train.classes(from, to).shuffled(1000 + t), te = test.classes(from, to);
            if (tr.size() == 0 || te.size() == 0) throw new IllegalArgumentException("task " + (t + 1) + " (classes " + from + "-" + to + ") has no images");
            if (trainLimit > 0 && tr.size() > trainLimit) tr = tr.range(0, trainLimit, "");
            if (testLimit > 0 && te.size() > testLimit) te = te.range(0, testLimit, "");
            out.add(new Task("classes " + from + "-" + to, tr, te));
        }
        return out;
    }

    /** Accuracy on task i's test set through head i. */
    public static double evaluate(Model model, List<Task> tasks, int i, Normalization norm, Config c) {
        return Training.evaluate(model, tasks.get(i).test(), norm, c.evalBatch(), head(model, i, tasks.size()));
    }

    private static double[][] nanMatrix(int n) {
        double[][] a = new double[n][n];
        for (double[] row : a) java.util.Arrays.fill(row, Double.NaN);
        return a;
    }

    /** The bases of a LANCE-CL task as the device receives them. */
    public static Map<String, ConvBasis> bases(TaskReport r) {
        Map<String, ConvBasis> m = new LinkedHashMap<>();
        r.bases().forEach((k, v) -> m.put(k, v.basis()));
        return m;
    }
}
