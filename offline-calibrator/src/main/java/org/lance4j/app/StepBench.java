package org.lance4j.app;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.lance4j.calib.Calibrator;
import org.lance4j.compress.ConvBasis;
import org.lance4j.data.BatchLoader;
import org.lance4j.data.Dataset;
import org.lance4j.data.Normalization;
import org.lance4j.graph.Graph;
import org.lance4j.graph.Model;
import org.lance4j.graph.Param;
import org.lance4j.graph.TrainableRule;
import org.lance4j.kernel.Workers;
import org.lance4j.train.Sgd;
import org.lance4j.train.SgdConfig;
import org.lance4j.train.StepTimer;
import org.lance4j.train.Trainer;

/**
 * A whole training step of ours against the identical step in PyTorch (Debian's python3-torch, CPU, the same
 * thread count), in one run: the PyTorch side is a small server ({@code torch_step.py}) that builds the network
 * from our model spec and runs steps on request, and the two are timed in alternation, a few steps each per
 * round. Steps: the full network (every parameter, BN in train mode: pretraining); fine-tuning of the last N
 * convolutions and the head (BN frozen), with full backprop and with LANCE on our side against PyTorch's full
 * backprop of the same layers. SGD with momentum and weight decay on both sides; no clipping.
 */
public final class StepBench {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(StepBench.class);
    /** {@code cpu}: as {@link CpuPin#pin}'s (null: at one thread both sides on one CPU; −1: not pinned). */
    public record Settings(int batch, int threads, int layers, double energy, int calibrationBatches, int warmup, int rounds,
                           int stepsPerRound, long seed, Integer cpu) {
        public Settings {
            if (batch < 1) throw new IllegalArgumentException("--batch must be ≥ 1, got " + batch);
            if (threads < 1) throw new IllegalArgumentException("--threads must be ≥ 1, got " + threads);
            if (layers < 1) throw new IllegalArgumentException("--layers must be ≥ 1, got " + layers);
            if (rounds < 1 || stepsPerRound < 1) throw new IllegalArgumentException("--rounds and --steps must be ≥ 1");
            if (warmup < 0) throw new IllegalArgumentException("--warmup must be ≥ 0, got " + warmup);
        }
    }

    /** Medians in ms of one side of one comparison. */
    public record Times(double forward, double backward, double optimizer, double total) { }

    /** One comparison: our step ({@code method}) against PyTorch's full-backprop step of the same trained layers. */
    public record Row(String step, String method, Times ours, Times torch, long peakBackwardBytes, long macs) {
        /** Our kernels' arithmetic rate over the whole step: 2 · multiply-adds / total time. */
        public double gflops() {
            return 2.0 * macs / (ours.total * 1e6);
        }

        /** Our total time over PyTorch's: < 1 means we are faster. */
        public double ratio() {
            return ours.total / torch.total;
        }
    }

    /** The per-step update both sides run. */
    static final SgdConfig SGD = new SgdConfig(0.05f, 0.9f, 1e-4f, false, 0f, 0, 0f);

    private StepBench() { }

    /** The PyTorch server for one network and one set of trained nodes (empty: all, BN in train mode). */
    static final class Torch implements AutoCloseable {
        private final Path dir;
        private final Process proc;
        private final PrintWriter in;
        private final BufferedReader out;
        final long params, trained;

        Torch(Model model, int batch, int threads, int classes, List<String> trainNodes, long seed, CpuPin pin) throws IOException {
            dir = Files.createTempDirectory("lance4j-torch");
            Path script = dir.resolve("torch_step.py"), spec = dir.resolve("model.spec");
            try (InputStream s = StepBench.class.getResourceAsStream("/org/lance4j/bench/torch_step.py")) {
                Files.copy(s, script);
            }
            Files.writeString(spec, model.spec().toText());
            List<String> cmd = new ArrayList<>(List.of(python(), "-W", "ignore", script.toString(), "--spec", spec.toString(),
                    "--batch", Integer.toString(batch), "--threads", Integer.toString(threads), "--classes", Integer.toString(classes),
                    "--lr", Float.toString(SGD.lr()), "--momentum", Float.toString(SGD.momentum()),
                    "--weight-decay", Float.toString(SGD.weightDecay()), "--seed", Long.toString(seed)));
            if (!trainNodes.isEmpty()) {
                cmd.add("--train");
                cmd.add(String.join(",", trainNodes));
            }
            ProcessBuilder pb = new ProcessBuilder(pin.command(cmd));
            pb.environment().put("OMP_NUM_THREADS", Integer.toString(threads));
            pb.redirectError(ProcessBuilder.Redirect.INHERIT);
            proc = pb.start();
            in = new PrintWriter(proc.getOutputStream(), true, StandardCharsets.US_ASCII);
            out = new BufferedReader(new InputStreamReader(proc.getInputStream(), StandardCharsets.US_ASCII));
            String ready = out.readLine();
            if (ready == null || !ready.startsWith("ready ")) {
                close();
                throw new IllegalStateException("the PyTorch side did not start (it needs Debian's python3-torch: apt-get install python3-torch; "
                        + "the launcher installs it for 'bench step' when run as root); it said: " + ready);
            }
            String[] f = ready.split(" ");
            params = Long.parseLong(f[1]);
            trained = Long.parseLong(f[2]);
        }

        static String python() {
            return Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
        }

        /** Runs k steps; per step {forward, backward, optimizer} in ms. */
        double[][] run(int k) throws IOException {
            in.println("run " + k);
            String line = out.readLine();
            if (line == null || line.startsWith("error")) throw new IllegalStateException("PyTorch side: " + line);
            String[] steps = line.split(";");
            double[][] r = new double[steps.length][3];
            for (int i = 0; i < steps.length; i++) {
                String[] t = steps[i].trim().split(" ");
                for (int j = 0; j < 3; j++) r[i][j] = Double.parseDouble(t[j]);
            }
            return r;
        }

        @Override
        public void close() throws IOException {
            in.println("quit");
            try {
                proc.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            proc.destroy();
            try (var files = Files.list(dir)) {
                for (Path p : files.toList()) Files.deleteIfExists(p);
            }
            Files.deleteIfExists(dir);
        }
    }

    /** The comparisons, and where the two sides ran ({@link CpuPin#describe}). */
    public record Result(String pinning, List<Row> rows) { }

    /** Progress: one line per finished comparison. */
    public interface Listener {
        void row(Row r);
    }

    public static Result run(Model model, Dataset data, Normalization norm, Settings s, Listener l) throws IOException {
        int classes = model.spec().shape(model.spec().heads().get(0)).dim(0);
        List<Row> rows = new ArrayList<>();
        BatchLoader loader = new BatchLoader(data, norm, s.batch(), true, BatchLoader.Augment.NONE, s.seed());
        float[] weights = model.storage().clone();
        try (CpuPin pin = CpuPin.pin(s.cpu(), s.threads(), "--cpu"); Workers w = new Workers(s.threads())) {
            // 1. the whole network, every parameter
            Graph full = Graph.plan(model, Graph.Config.train(s.batch(), TrainableRule.all()).withWorkers(w));
            try (Torch t = new Torch(model, s.batch(), s.threads(), classes, List.of(), s.seed(), pin)) {
                checkSameNetwork(model, t, full);
                List<Row> r = compare("full network", List.of("bp"), List.of(full), t, loader, s);
                rows.addAll(r);
                r.forEach(x -> { if (l != null) l.row(x); });
            }
            System.arraycopy(weights, 0, model.storage(), 0, weights.length);
            // 2. fine-tuning the last N convolutions and the head: bp and LANCE against PyTorch's bp
            FineTune.Config bpCfg = new FineTune.Config(s.layers(), 1, s.batch(), Long.MAX_VALUE, s.seed(), Map.of(), false, 0);
            Graph bp = Graph.plan(model, FineTune.graphConfig(bpCfg).withWorkers(w));
            Map<String, ConvBasis> bases = new LinkedHashMap<>();
            Calibrator.calibrate(model, data, norm, new Calibrator.Settings(s.layers(), s.energy(), s.calibrationBatches(), s.batch(), false, s.seed()), null)
                    .forEach((k, v) -> bases.put(k, v.basis()));
            FineTune.Config lanceCfg = new FineTune.Config(s.layers(), 1, s.batch(), Long.MAX_VALUE, s.seed(), bases, false, 0);
            Graph lance = Graph.plan(model, FineTune.graphConfig(lanceCfg).withWorkers(w));
            List<String> nodes = new ArrayList<>(new java.util.LinkedHashSet<>(bp.trainable().stream().map(Param::node).toList()));
            try (Torch t = new Torch(model, s.batch(), s.threads(), classes, nodes, s.seed(), pin)) {
                checkSameNetwork(model, t, bp);
                List<Row> r = compare("fine-tune last " + s.layers() + " convs + head", List.of("bp", "lance"), List.of(bp, lance), t, loader, s);
                rows.addAll(r);
                r.forEach(x -> { if (l != null) l.row(x); });
            }
            System.arraycopy(weights, 0, model.storage(), 0, weights.length);
            return new Result(pin.describe(), rows);
        }
    }

    private static void checkSameNetwork(Model model, Torch t, Graph g) {
        long trained = 0;
        for (Param p : g.trainable()) trained += p.value().size();
        if (t.params != model.parameterCount() || t.trained != trained) {
            throw new IllegalStateException("the PyTorch network differs from ours: " + t.params + " parameters (" + t.trained
                    + " trained) against " + model.parameterCount() + " (" + trained + " trained)");
        }
    }

    /**
     * Our graphs and PyTorch in alternation: per round, k steps of each of ours, then k of PyTorch's; medians. Each side's
     * turn starts with one untimed step: the first step after the other side's turn pays for waking its parked threads and
     * refilling its caches, which back-to-back training steps never do. With two steps per round and no such step, half our
     * two-thread ResNet18 samples were those (median 386–437 ms against 306 ms with four steps per round, PyTorch's 357–367
     * against 346).
     */
    private static List<Row> compare(String step, List<String> methods, List<Graph> graphs, Torch torch, BatchLoader loader, Settings s)
            throws IOException {
        int k = s.stepsPerRound();
        Trainer[] ts = new Trainer[graphs.size()];
        for (int i = 0; i < ts.length; i++) ts[i] = new Trainer(graphs.get(i), new Sgd(graphs.get(i), SGD), s.rounds() * k);
        List<double[]> theirs = new ArrayList<>();
        for (int round = -1; round < s.rounds(); round++) {
            int steps = round < 0 ? s.warmup() : k;
            if (round < 0 && steps > 0) settleJit(ts, loader, steps);
            else for (Trainer t : ts) {
                if (round == 0) t.timer().reset();
                for (int i = round < 0 ? 0 : -1; i < steps; i++) {   // i = -1: the untimed first step of a timed turn
                    step(t, loader);
                    if (i < 0) t.timer().discardLast();
                }
            }
            if (steps == 0) continue;
            settle(s.threads());
            double[][] r = torch.run(round < 0 ? steps : steps + 1);
            if (round >= 0) theirs.addAll(Arrays.asList(r).subList(1, r.length));
            settle(s.threads());
        }
        Times torchTimes = medians(theirs);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < ts.length; i++) {
            StepTimer tm = ts[i].timer();
            Times ours = new Times(tm.medianMs(StepTimer.Part.FORWARD), tm.medianMs(StepTimer.Part.BACKWARD), tm.medianMs(StepTimer.Part.OPTIMIZER),
                    tm.medianTotalMs());
            Graph g = graphs.get(i);
            rows.add(new Row(step, methods.get(i), ours, torchTimes, g.held().peakBytes(), g.macsForward() + g.macsBackward()));
        }
        return rows;
    }

    /** One training step of {@code t} on the loader's next batch (a new epoch when it is at the end). */
    private static void step(Trainer t, BatchLoader loader) {
        if (!loader.hasNext()) loader.startEpoch();
        loader.next();
        t.step(loader.images(), 0, loader.batchShape(), loader.labels(), 0);
    }

    /** Most steps of each of our graphs spent waiting for the JIT compiler to go quiet. */
    static final int JIT_SETTLE_MAX_STEPS = 200;
    /** Steps in a row without a finished compilation that count as quiet. */
    static final int JIT_QUIET_STEPS = 3;

    /**
     * Our side's warm-up: {@code min} steps of each graph, then more until the JIT compiler finished no compilation over
     * {@link #JIT_QUIET_STEPS} rounds of steps in a row (at most {@link #JIT_SETTLE_MAX_STEPS}). Three steps were not enough:
     * on two threads of a 2-vCPU guest our workers keep both CPUs busy and C2 compiled ResNet18's kernels for over 30 s
     * ({@code -XX:+PrintCompilation}: {@code Conv2d.winogradPass}, {@code Gemm.nt}, {@code Gemm.rows8TwoVectors} compiled
     * at 20–34 s), so a run could time steps still partly interpreted (their vector code boxed: 2–86 MB allocated per step,
     * ResNet18's two-thread step 287–395 ms from run to run while PyTorch's stayed at 345–367).
     */
    private static void settleJit(Trainer[] ts, BatchLoader loader, int min) {
        java.lang.management.CompilationMXBean jit = java.lang.management.ManagementFactory.getCompilationMXBean();
        boolean timed = jit != null && jit.isCompilationTimeMonitoringSupported();
        long last = timed ? jit.getTotalCompilationTime() : 0;
        int quiet = 0, done = 0;
        while (done < min || timed && quiet < JIT_QUIET_STEPS && done < JIT_SETTLE_MAX_STEPS) {
            for (Trainer t : ts) step(t, loader);
            done++;
            if (timed) {
                long now = jit.getTotalCompilationTime();
                quiet = now == last ? quiet + 1 : 0;
                last = now;
            }
        }
        LOG.info("warm-up: {} steps of each graph{}", done, timed ? (quiet >= JIT_QUIET_STEPS ? ", the JIT quiet for the last " + quiet
                : ", the JIT still compiling at the cap") : " (no JIT compile-time monitoring)");
    }

    /**
     * With several threads, a pause between the two sides' rounds: idle OpenMP threads of PyTorch spin for a while
     * after a parallel region (and ours for some microseconds), and on a 2-core machine a spinner takes a core
     * from the other side's first steps.
     */
    private static void settle(int threads) {
        if (threads < 2) return;
        try {
            Thread.sleep(300);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static Times medians(List<double[]> steps) {
        double[] f = new double[steps.size()], b = new double[steps.size()], o = new double[steps.size()], t = new double[steps.size()];
        for (int i = 0; i < steps.size(); i++) {
            double[] x = steps.get(i);
            f[i] = x[0];
            b[i] = x[1];
            o[i] = x[2];
            t[i] = x[0] + x[1] + x[2];
        }
        return new Times(GemmBench.median(f), GemmBench.median(b), GemmBench.median(o), GemmBench.median(t));
    }
}
