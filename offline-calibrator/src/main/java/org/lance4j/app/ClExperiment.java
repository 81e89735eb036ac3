package org.lance4j.app;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.lance4j.calib.Calibrator;
import org.lance4j.calib.ContinualMemory;
import org.lance4j.data.Dataset;
import org.lance4j.data.Normalization;
import org.lance4j.graph.Model;
import org.lance4j.graph.ModelSpec;
import org.lance4j.io.BasisFile;
import org.lance4j.kernel.Vec;
import org.lance4j.models.Zoo;

/**
 * The continual-learning experiment: Split Fashion-MNIST (5 tasks × 2 classes) or Split CIFAR-100 (10 × 10),
 * every model × method, the accuracy matrix, ACC, BWT and both memories; results.md, results.csv,
 * results.json, per-run accuracy-matrix CSVs and heat maps, and LANCE-CL's per-task basis files (with P) in
 * {@code bases/}.
 */
public final class ClExperiment {
    /**
     * @param data          "fmnist" or a cifar100:DIR spec
     * @param trainImages   training images per task (0: all)
     * @param testImages    test images per task (0: all)
     */
    public record Settings(List<String> models, List<ContinualLearning.Method> methods, String data, int tasks, int classesPerTask,
                           int trainImages, int testImages, ContinualLearning.Config cl) { }

    /** @param seconds CPU-side time of the model's runs summed (task 1 once), not wall time */
    public record ModelResult(String model, int input, int channels, ContinualLearning.TaskReport first, List<ContinualLearning.Run> runs, double seconds) { }

    public record Result(Settings settings, List<ModelResult> models, double seconds) { }

    private ClExperiment() { }

    /**
     * Runs every model × method. Independent runs go to {@code threads} worker threads (each run is
     * single-threaded and deterministic, so the numbers do not depend on the thread count; only the
     * wall times do): per model, task 1 first, then the sequential methods from it, and joint.
     */
    public static Result run(Settings s, Path out, int threads, ContinualLearning.Listener l) throws IOException {
        long t0 = System.nanoTime();
        DataSpec spec = DataSpec.parse(s.data());
        int size = spec.kind().startsWith("cifar") ? 32 : 28;
        Dataset train = spec.loadTrain(size), test = spec.loadTest(size);
        Normalization norm = train.statistics();
        List<ContinualLearning.Task> tasks = ContinualLearning.split(train, test, s.tasks(), s.classesPerTask(), s.trainImages(), s.testImages());
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(Math.max(1, threads));
        try {
            record Pending(String name, Map<ContinualLearning.Method, java.util.concurrent.Future<ContinualLearning.Run>> runs,
                           java.util.concurrent.Future<Object[]> first) { }
            // order of submission: every model's task 1 and joint run first (they depend on nothing), then the
            // sequential runs, which wait for their model's task 1 — a worker never idles behind one of them
            List<Pending> pending = new ArrayList<>();
            Map<String, Model> inits = new LinkedHashMap<>();
            for (String name : s.models()) {
                ModelSpec ms = Zoo.build(name, new Zoo.Options(train.itemShape().dim(0), size, s.classesPerTask(), 1f, null, s.tasks()));
                Model init = Model.initialized(ms, s.cl().seed());
                inits.put(name, init);
                ContinualLearning.Listener tagged = tag(name, l);
                java.util.concurrent.Future<Object[]> first = s.methods().stream().anyMatch(ContinualLearning.Method::sequential)
                        ? pool.submit(() -> {
                            Model m = init.copy();
                            return new Object[] {m, ContinualLearning.firstTask(m, tasks, norm, s.cl(), tagged)};
                        }) : null;
                pending.add(new Pending(name, new java.util.EnumMap<>(ContinualLearning.Method.class), first));
            }
            for (boolean sequential : new boolean[] {false, true}) {
                for (Pending p : pending) {
                    ContinualLearning.Listener tagged = tag(p.name(), l);
                    for (ContinualLearning.Method m : s.methods()) {
                        if (m.sequential() != sequential) continue;
                        p.runs().put(m, pool.submit(() -> {
                            ContinualLearning.Run r;
                            if (m.sequential()) {
                                Object[] f = p.first().get();
                                r = ContinualLearning.runSequential(m, (Model) f[0], (ContinualLearning.TaskReport) f[1], tasks, norm, s.cl(), tagged);
                            } else {
                                r = ContinualLearning.runJoint(inits.get(p.name()).copy(), tasks, norm, s.cl(), tagged);
                            }
                            if (l != null) {
                                l.phase(String.format(Locale.ROOT, "%s %s: ACC %.2f%%, BWT %s, peak backward-held %s, P held %s", p.name(), m.id,
                                        100 * r.acc(), Double.isNaN(r.bwt()) ? "n/a" : String.format(Locale.ROOT, "%+.2f", 100 * r.bwt()),
                                        human(r.peakBackwardBytes()), human(r.memoryHeldBytes())));
                            }
                            if (m == ContinualLearning.Method.LANCE_CL && out != null) writeBases(out.resolve("bases"), p.name(), r);
                            return r;
                        }));
                    }
                }
            }
            List<ModelResult> results = new ArrayList<>();
            for (Pending p : pending) {
                List<ContinualLearning.Run> runs = new ArrayList<>();
                for (ContinualLearning.Method m : s.methods()) runs.add(p.runs().get(m).get());
                ContinualLearning.TaskReport first = p.first() == null ? null : (ContinualLearning.TaskReport) p.first().get()[1];
                double seconds = runs.stream().flatMap(r -> r.tasks().stream()).filter(t -> t != first).mapToDouble(ContinualLearning.TaskReport::seconds).sum()
                        + (first == null ? 0 : first.seconds());
                results.add(new ModelResult(p.name(), size, train.itemShape().dim(0), first, runs, seconds));
            }
            return new Result(s, results, (System.nanoTime() - t0) / 1e9);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException re) throw re;
            if (c instanceof IOException io) throw io;
            throw new IllegalStateException(c);
        } finally {
            pool.shutdownNow();
        }
    }

    private static ContinualLearning.Listener tag(String model, ContinualLearning.Listener l) {
        if (l == null) return null;
        return new ContinualLearning.Listener() {
            @Override
            public void phase(String text) {
                l.phase(model + " " + text);
            }

            @Override
            public void batch(int epoch, int epochs, int batch, int batches, double loss, double acc) {
                l.batch(epoch, epochs, batch, batches, loss, acc);
            }
        };
    }

    /** Per task ≥ 2: the bases the device trains with, and the P they were calibrated against. */
    private static void writeBases(Path dir, String model, ContinualLearning.Run r) throws IOException {
        java.nio.file.Files.createDirectories(dir);
        for (ContinualLearning.TaskReport t : r.tasks()) {
            if (t.task() == 0 || t.bases().isEmpty()) continue;
            Map<String, String> settings = new LinkedHashMap<>();
            settings.put("method", "lance-cl");
            settings.put("task", Integer.toString(t.task() + 1));
            settings.put("frozen", String.join(",", t.frozen()));
            BasisFile.write(dir.resolve(model + "-task" + (t.task() + 1) + ".l4jb"), r.model(), settings, ContinualLearning.bases(t),
                    t.memory());
        }
    }

    static String human(long bytes) {
        if (bytes >= 1 << 20) return String.format(Locale.ROOT, "%.2f MiB", bytes / (double) (1 << 20));
        if (bytes >= 1 << 10) return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
        return bytes + " B";
    }

    static String pct(double v) {
        return Double.isNaN(v) ? "—" : String.format(Locale.ROOT, "%.2f", 100 * v);
    }

    static ContinualLearning.Run find(ModelResult m, ContinualLearning.Method method) {
        for (ContinualLearning.Run r : m.runs()) if (r.method() == method) return r;
        return null;
    }

    /** The targets with measured numbers, MET or MISSED. */
    public static List<String> targets(Result r) {
        List<String> out = new ArrayList<>();
        for (ModelResult m : r.models()) {
            ContinualLearning.Run lance = find(m, ContinualLearning.Method.LANCE_CL), naive = find(m, ContinualLearning.Method.NAIVE),
                    gpm = find(m, ContinualLearning.Method.GPM);
            if (lance != null && naive != null) {
                boolean met = 100 * lance.bwt() >= -3 && 100 * naive.bwt() <= -10;
                out.add(String.format(Locale.ROOT, "%s: LANCE-CL BWT %+.2f points (target ≥ −3) while naive BWT %+.2f (target ≤ −10) — %s", m.model(),
                        100 * lance.bwt(), 100 * naive.bwt(), met ? "MET" : "MISSED"));
            }
            if (lance != null && gpm != null) {
                long lm = lance.peakBackwardBytes(), gm = gpm.peakBackwardBytes() + gpm.memoryHeldBytes();
                boolean met = 100 * (lance.acc() - gpm.acc()) >= -3 && lm < gm;
                out.add(String.format(Locale.ROOT, "%s: LANCE-CL ACC %.2f vs GPM %.2f (%+.2f points, target ≥ −3); memory held while training %s "
                        + "(bases + cores, measured) vs GPM %s (%s measured activations + %s of P) — %s", m.model(), 100 * lance.acc(), 100 * gpm.acc(),
                        100 * (lance.acc() - gpm.acc()), human(lm), human(gm), human(gpm.peakBackwardBytes()), human(gpm.memoryHeldBytes()),
                        met ? "MET" : "MISSED"));
            }
        }
        return out;
    }

    public static String markdown(Result r, boolean quick) {
        Settings s = r.settings();
        ContinualLearning.Config c = s.cl();
        StringBuilder md = new StringBuilder("# Continual learning: " + (s.data().startsWith("cifar100") ? "Split CIFAR-100" : "Split Fashion-MNIST") + "\n\n");
        md.append(String.format(Locale.ROOT, """
                %d tasks × %d classes, task-incremental (one head per task), %s training and %s test images per task, %d epoch%s per task, \
                batch %d, SGD lr %s momentum %s, no weight decay. Task 1 with full backprop (shared by naive, GPM and LANCE-CL), then BN frozen. \
                Memory: %d samples per finished task, threshold %.3f + %.3f·t. LANCE-CL: null-space calibration on %d batches of the new task, \
                input-mode energy %s within the null space, L-mode energy %s, batch mode %s. Vector width %s. %sTotal %.0f s (wall).

                """, s.tasks(), s.classesPerTask(), s.trainImages() == 0 ? "all" : Integer.toString(s.trainImages()),
                s.testImages() == 0 ? "all" : Integer.toString(s.testImages()), c.epochs(), c.epochs() == 1 ? "" : "s", c.batch(), c.lr(), c.momentum(),
                c.memorySamples(), c.thresholdBase(), c.thresholdStep(), c.calibrationBatches(), c.inputEnergy(), c.energy(),
                c.projectBatch() ? "projected" : "kept", Vec.describe(), quick ? "Run with --quick. " : "", r.seconds()));
        md.append("Runs are independent and single-threaded; several run at once on worker threads, so per-run seconds are CPU-side times "
                + "under contention and the total is wall time.\n\n");
        md.append("Memories: **peak backward-held** is measured (everything kept from forward to backward, LANCE-CL's resident bases included) "
                + "while training tasks 2…T; **activations** counts the shared layers' stores only (full inputs, or core + factors); "
                + "**P held** is GPM's memory on the device during training; **P size** is the memory after the last task (LANCE-CL keeps it "
                + "offline, in the basis files).\n\n");
        md.append("| model | method | ACC % | BWT points | peak backward-held | activations | P held | P size | s |\n");
        md.append("|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for (ModelResult m : r.models()) {
            for (ContinualLearning.Run run : m.runs()) {
                double sec = run.tasks().stream().mapToDouble(ContinualLearning.TaskReport::seconds).sum();
                md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %s | %.0f |%n", m.model(), run.method().id, pct(run.acc()),
                        Double.isNaN(run.bwt()) ? "n/a" : String.format(Locale.ROOT, "%+.2f", 100 * run.bwt()), human(run.peakBackwardBytes()),
                        human(run.activationBytes()), human(run.memoryHeldBytes()), human(run.memoryBytes()), sec));
            }
        }
        md.append("\n## Targets\n\n");
        for (String t : targets(r)) md.append("- ").append(t).append('\n');
        for (ModelResult m : r.models()) {
            md.append("\n## ").append(m.model()).append(String.format(Locale.ROOT, " (%d px, %d channel%s; %.0f s)%n", m.input(), m.channels(),
                    m.channels() == 1 ? "" : "s", m.seconds()));
            for (ContinualLearning.Run run : m.runs()) {
                md.append("\n### ").append(run.method().id).append("\n\nAccuracy % (row: after training task t; column: task i)\n\n| after \\ on |");
                int n = run.accuracy().length;
                for (int i = 0; i < n; i++) md.append(" task ").append(i + 1).append(" |");
                md.append("\n|---|").append("---:|".repeat(n)).append('\n');
                for (int t = 0; t < n; t++) {
                    if (run.method() == ContinualLearning.Method.JOINT && t < n - 1) continue;
                    md.append("| task ").append(t + 1).append(" |");
                    for (int i = 0; i < n; i++) md.append(' ').append(pct(run.accuracy()[t][i])).append(" |");
                    md.append('\n');
                }
                if (run.method() == ContinualLearning.Method.LANCE_CL || run.method() == ContinualLearning.Method.GPM) {
                    md.append("\nPer task: memory k/D per layer after the previous task");
                    md.append(run.method() == ContinualLearning.Method.LANCE_CL ? "; bases: input rank r_in (within the null space) and L rank per layer" : "");
                    md.append("\n\n");
                    for (ContinualLearning.TaskReport t : run.tasks()) {
                        if (t.task() == 0) continue;
                        md.append("- task ").append(t.task() + 1).append(String.format(Locale.ROOT, " (%.0f s, peak %s): P ", t.seconds(), human(t.peakBackwardBytes())));
                        List<String> parts = new ArrayList<>();
                        for (ContinualMemory.LayerUpdate u : t.memoryUpdates()) {
                            parts.add(String.format(Locale.ROOT, "%s %d/%d (+%d)", u.node(), u.before() + u.added(), u.d(), u.added()));
                        }
                        md.append(String.join(", ", parts));
                        if (!t.bases().isEmpty() || !t.frozen().isEmpty()) {
                            List<String> b = new ArrayList<>();
                            for (Calibrator.Layer layer : t.bases().values()) {
                                b.add(String.format(Locale.ROOT, "%s r_in %d%s", layer.node(), layer.basis().rC(),
                                        layer.basis().unfolded() ? ", r_L " + layer.basis().rH() + "/" + layer.basis().h() : ""));
                            }
                            for (String f : t.frozen()) b.add(f + " frozen (P spans its inputs)");
                            md.append("; bases: ").append(String.join(", ", b));
                        }
                        md.append('\n');
                    }
                }
            }
        }
        md.append("\nFiles: `results.csv`, `results.json`, `accuracy-MODEL-METHOD.csv` and `.png` (heat maps)")
                .append(", `bases/MODEL-taskT.l4jb` (LANCE-CL's bases per task, with P).\n");
        return md.toString();
    }

    public static Map<String, Object> json(Result r, boolean quick) {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("quick", quick);
        j.put("data", r.settings().data());
        j.put("tasks", r.settings().tasks());
        j.put("classes_per_task", r.settings().classesPerTask());
        j.put("seconds", r.seconds());
        List<Map<String, Object>> rows = new ArrayList<>();
        for (ModelResult m : r.models()) {
            for (ContinualLearning.Run run : m.runs()) {
                Map<String, Object> o = new LinkedHashMap<>();
                o.put("model", m.model());
                o.put("method", run.method().id);
                o.put("acc", run.acc());
                o.put("bwt", Double.isNaN(run.bwt()) ? null : run.bwt());
                List<List<Double>> mat = new ArrayList<>();
                for (double[] row : run.accuracy()) {
                    List<Double> x = new ArrayList<>();
                    for (double v : row) x.add(Double.isNaN(v) ? null : v);
                    mat.add(x);
                }
                o.put("accuracy_matrix", mat);
                o.put("peak_backward_bytes", run.peakBackwardBytes());
                o.put("activation_mib", run.activationBytes() / (double) (1 << 20));
                o.put("memory_held_bytes", run.memoryHeldBytes());
                o.put("memory_bytes", run.memoryBytes());
                rows.add(o);
            }
        }
        j.put("runs", rows);
        j.put("targets", targets(r));
        return j;
    }

    public static void write(Path out, Result r, boolean quick) throws IOException {
        String md = markdown(r, quick);
        AtomicFiles.writeString(out.resolve("results.md"), md);
        StringBuilder csv = new StringBuilder("model,method,acc,bwt,peak_backward_bytes,activation_bytes,memory_held_bytes,memory_bytes,seconds\n");
        for (ModelResult m : r.models()) {
            for (ContinualLearning.Run run : m.runs()) {
                double sec = run.tasks().stream().mapToDouble(ContinualLearning.TaskReport::seconds).sum();
                csv.append(String.format(Locale.ROOT, "%s,%s,%.4f,%s,%d,%d,%d,%d,%.1f%n", m.model(), run.method().id, run.acc(),
                        Double.isNaN(run.bwt()) ? "" : String.format(Locale.ROOT, "%.4f", run.bwt()), run.peakBackwardBytes(), run.activationBytes(),
                        run.memoryHeldBytes(), run.memoryBytes(), sec));
                int n = run.accuracy().length;
                StringBuilder a = new StringBuilder("after_task");
                List<String> cols = new ArrayList<>(), rows = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    a.append(",task").append(i + 1);
                    cols.add("task " + (i + 1));
                    rows.add("after " + (i + 1));
                }
                a.append('\n');
                double[][] p = new double[n][n];
                for (int t = 0; t < n; t++) {
                    a.append(t + 1);
                    for (int i = 0; i < n; i++) {
                        double v = run.accuracy()[t][i];
                        a.append(',').append(Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.4f", v));
                        p[t][i] = 100 * v;
                    }
                    a.append('\n');
                }
                String base = "accuracy-" + m.model() + "-" + run.method().id;
                AtomicFiles.writeString(out.resolve(base + ".csv"), a.toString());
                Charts.heatMap(out.resolve(base + ".png"), String.format(Locale.ROOT, "%s, %s: accuracy %% (ACC %.1f, BWT %s)", m.model(), run.method().id,
                        100 * run.acc(), Double.isNaN(run.bwt()) ? "n/a" : String.format(Locale.ROOT, "%+.1f", 100 * run.bwt())),
                        "evaluated on", "after training", cols, rows, p, 50, 100);
            }
        }
        AtomicFiles.writeString(out.resolve("results.csv"), csv.toString());
        AtomicFiles.writeString(out.resolve("results.json"), com.fasterxml.jackson.jr.ob.JSON.std.asString(json(r, quick)));
    }
}
