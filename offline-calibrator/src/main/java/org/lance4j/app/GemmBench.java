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
import java.util.List;
import java.util.Map;
import org.lance4j.kernel.Gemm;
import org.lance4j.kernel.Workers;

/**
 * Our GEMM against OpenBLAS at the shapes a training step produces ({@link StepShapes}), in one run:
 * OpenBLAS runs in a small C server ({@code gemm_openblas.c}, compiled here with gcc against Debian's
 * libopenblas-dev) driven over a pipe, and the two are timed in alternation, round by round and shape by
 * shape, so that a slow spell of a shared machine hits both. Also measures the core's FMA peak with a
 * register-only FMA loop in C.
 */
public final class GemmBench {
    /** One shape's medians: ns per call for us and for OpenBLAS. */
    public record Row(StepShapes.GemmShape shape, StepShapes.Use use, double oursNs, double blasNs) {
        public double oursGflops() {
            return 2.0 * shape.macs() / oursNs;
        }

        public double blasGflops() {
            return 2.0 * shape.macs() / blasNs;
        }

        /** OpenBLAS time / our time: > 1 means we are faster. */
        public double ratio() {
            return blasNs / oursNs;
        }
    }

    /**
     * {@code peakGflops}: one core's FMA peak; {@code peakAllGflops}: the FMA loops of all {@code threads} threads run at
     * once, summed — what the threads can reach together (one core's peak times the threads on idle, separate cores;
     * less where they share FMA units or the host takes cycles); equal to {@code peakGflops} for one thread.
     */
    public record Result(double peakGflops, double peakAllGflops, int threads, String pinning, List<Row> rows) { }

    private GemmBench() { }

    /** The C side: compiled into a temporary directory, deleted on close. */
    public static final class OpenBlas implements AutoCloseable {
        private final Path dir;
        private final Process proc;
        private final PrintWriter in;
        private final BufferedReader out;

        /** The server started under {@code pin}'s CPU (pinned: on the CPU our timing thread is on). */
        public OpenBlas(int threads, CpuPin pin) throws IOException, InterruptedException {
            dir = Files.createTempDirectory("lance4j-openblas");
            Path src = dir.resolve("gemm_openblas.c"), bin = dir.resolve("gemm_openblas");
            try (InputStream s = GemmBench.class.getResourceAsStream("/org/lance4j/bench/gemm_openblas.c")) {
                Files.copy(s, src);
            }
            Process cc;
            try {
                cc = new ProcessBuilder("gcc", "-O2", "-march=native", "-pthread", "-o", bin.toString(), src.toString(), "-lopenblas")
                        .redirectErrorStream(true).start();
            } catch (IOException e) {
                deleteDir();
                throw new IllegalStateException("bench gemm needs gcc (apt-get install gcc libopenblas-dev): " + e.getMessage());
            }
            String log = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (cc.waitFor() != 0) {
                deleteDir();
                throw new IllegalStateException("could not build the OpenBLAS side (apt-get install libopenblas-dev gcc):\n" + log.strip());
            }
            ProcessBuilder pb = new ProcessBuilder(pin.command(List.of(bin.toString())));
            pb.environment().put("OPENBLAS_NUM_THREADS", Integer.toString(threads));
            // idle OpenBLAS threads busy-wait for 2^28 cycles (~0.1 s) after a call by default: on 2 cores they
            // took a core from our timing right after theirs. 2^24 cycles (~5 ms here) is about as long as our own
            // idle workers spin (200,000 spin-waits, ~6 ms) before they park; with several threads the bench pauses
            // longer than that between the two sides, so neither side's spinners share the cores with the other's work
            pb.environment().put("OPENBLAS_THREAD_TIMEOUT", "24");
            pb.environment().put("OPENBLAS_MAIN_FREE", "1");
            pb.redirectError(ProcessBuilder.Redirect.INHERIT);
            proc = pb.start();
            in = new PrintWriter(proc.getOutputStream(), true, StandardCharsets.US_ASCII);
            out = new BufferedReader(new InputStreamReader(proc.getInputStream(), StandardCharsets.US_ASCII));
            ask("threads " + threads);
        }

        private String ask(String line) throws IOException {
            in.println(line);
            String r = out.readLine();
            if (r == null || r.startsWith("error")) throw new IllegalStateException("OpenBLAS side: " + r + " (for '" + line + "')");
            return r.strip();
        }

        /** GFLOPS of the C FMA loop. */
        public double peakGflops(double seconds) throws IOException {
            return Double.parseDouble(ask("peak " + seconds));
        }

        /** Total GFLOPS of {@code threads} C FMA loops run at once, one per thread. */
        public double peakGflops(double seconds, int threads) throws IOException {
            double g = Double.parseDouble(ask("peak " + seconds + " " + threads));
            if (!(g > 0)) {
                throw new IllegalStateException("--threads " + threads + ": the C side could not start that many threads for its FMA loop"
                        + " (at most 64); use fewer");
            }
            return g;
        }

        /** Nanoseconds for {@code reps} calls. */
        public long gemmNanos(StepShapes.GemmShape s, int reps) throws IOException {
            return Long.parseLong(ask("gemm " + s.form() + " " + s.m() + " " + s.n() + " " + s.k() + " " + (s.acc() ? 1 : 0) + " " + reps));
        }

        private void deleteDir() throws IOException {
            try (var files = Files.list(dir)) {
                for (Path p : files.toList()) Files.deleteIfExists(p);
            }
            Files.deleteIfExists(dir);
        }

        @Override
        public void close() throws IOException {
            in.println("quit");
            try {
                proc.waitFor(5, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            proc.destroy();
            deleteDir();
        }
    }

    /** Dense operands of one shape, as the C side allocates them (lda = K or M, ldb = N or K, ldc = N). */
    private static final class Operands {
        final float[] a, b, c;

        Operands(StepShapes.GemmShape s) {
            a = fill(s.m() * s.k());
            b = fill(s.k() * s.n());
            c = fill(s.m() * s.n());
        }

        private static float[] fill(int n) {
            float[] x = new float[n];
            for (int i = 0; i < n; i++) x[i] = (float) ((i * 7919L) % 1000) / 1000f - 0.5f;
            return x;
        }

        void call(Workers w, StepShapes.GemmShape s) {
            int m = s.m(), n = s.n(), k = s.k();
            switch (s.form()) {
                case "nn" -> Gemm.nn(w, m, n, k, a, 0, k, b, 0, n, c, 0, n, s.acc());
                case "nt" -> Gemm.nt(w, m, n, k, a, 0, k, b, 0, k, c, 0, n, s.acc());
                case "tn" -> Gemm.tn(w, m, n, k, a, 0, m, b, 0, n, c, 0, n, s.acc());
                default -> throw new IllegalArgumentException(s.form());
            }
        }
    }

    /**
     * Times every shape: {@code rounds} rounds after one warm-up round, each round timing {@code reps}
     * calls (about {@code roundMs} of work) of ours and then of OpenBLAS's; medians per call. {@code cpu}: as {@link CpuPin#pin}'s
     * (null: at one thread both sides on one CPU; −1: not pinned).
     */
    public static Result run(Map<StepShapes.GemmShape, StepShapes.Use> shapes, int threads, int rounds, double roundMs, Integer cpu,
                             java.util.function.Consumer<Row> progress) throws IOException, InterruptedException {
        List<Row> rows = new ArrayList<>();
        try (CpuPin pin = CpuPin.pin(cpu, threads, "--cpu"); OpenBlas blas = new OpenBlas(threads, pin); Workers w = new Workers(threads)) {
            double peak = blas.peakGflops(0.5), peakAll = threads == 1 ? peak : blas.peakGflops(0.5, threads);
            // warm-up: every shape (every form and edge path) over and over, so that the JIT has compiled the kernels
            // with their final profile before anything is timed (a late first use of a path deoptimizes them). Each
            // shape is called an eighth of its timed calls per sweep, so that the calls resemble the timed mix: called
            // once per sweep, the kernels of a few small shapes (Gemm.abVector: the heads' K = 10) stayed in C1 code
            // until after timing began, and their C2 compile (seconds, on a guest whose second vCPU comes and goes)
            // then ran beside the timed calls.
            List<Operands> all = new ArrayList<>();
            for (StepShapes.GemmShape s : shapes.keySet()) all.add(new Operands(s));
            long until = System.nanoTime() + 3_000_000_000L;
            do {
                int i = 0;
                for (StepShapes.GemmShape s : shapes.keySet()) {
                    Operands ops = all.get(i++);
                    for (int q = Math.max(1, reps(s, roundMs) / 8); q > 0; q--) ops.call(w, s);
                }
            } while (System.nanoTime() < until);
            all.clear();
            for (var e : shapes.entrySet()) {
                StepShapes.GemmShape s = e.getKey();
                Operands ops = new Operands(s);
                int reps = reps(s, roundMs);
                double[] ours = new double[rounds], theirs = new double[rounds];
                for (int r = -1; r < rounds; r++) {
                    if (settle(threads)) ops.call(w, s);   // after a pause: one untimed call wakes the parked workers
                    long t0 = System.nanoTime();
                    for (int i = 0; i < reps; i++) ops.call(w, s);
                    long dt = System.nanoTime() - t0;
                    if (settle(threads)) blas.gemmNanos(s, 1);   // the same for OpenBLAS's sleeping threads
                    long bt = blas.gemmNanos(s, reps);
                    if (r >= 0) {
                        ours[r] = (double) dt / reps;
                        theirs[r] = (double) bt / reps;
                    }
                }
                Row row = new Row(s, e.getValue(), median(ours), median(theirs));
                rows.add(row);
                if (progress != null) progress.accept(row);
            }
            return new Result(peak, peakAll, threads, pin.describe(), rows);
        }
    }

    /** Calls of a shape per timed round: about {@code roundMs} of work at a first estimate of 30 GFLOPS, at least one. */
    private static int reps(StepShapes.GemmShape s, double roundMs) {
        return (int) Math.max(1, Math.min(100_000, roundMs * 1e6 * 30 / (2.0 * s.macs())));
    }

    /**
     * With several threads: a pause longer than either side's idle spinning (~6 ms), so spinners never overlap the
     * other's work; true when it paused (the caller then wakes its side with one untimed call: waking an idle vCPU
     * took about a millisecond here, which a training step, with workers kept busy, never pays per call).
     */
    private static boolean settle(int threads) throws InterruptedException {
        if (threads < 2) return false;
        Thread.sleep(15);
        return true;
    }

    /** The median (NaN for no values). */
    public static double median(double[] x) {
        if (x.length == 0) return Double.NaN;
        double[] y = x.clone();
        Arrays.sort(y);
        int n = y.length;
        return n % 2 == 1 ? y[n / 2] : (y[n / 2 - 1] + y[n / 2]) / 2;
    }
}
