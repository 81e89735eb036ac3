package org.lance4j.app;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A one-thread benchmark's two sides on one CPU: the calling thread (ours) pinned with {@code taskset} (Linux,
 * util-linux), the other side's process (OpenBLAS's server, PyTorch) started under the same CPU; {@link #close} gives the
 * thread its CPUs back.
 *
 * <p>Why: on a shared guest one vCPU is at times slower than the other (the host's load on the core behind it). The
 * scheduler kept our timing thread on one vCPU and moved the other side's process between both (sampled with {@code ps
 * -o psr} during a run: ours always on CPU 1, OpenBLAS's on CPU 0 in a third of the samples), so a slow spell hit one side
 * only, and a shape timed in it read up to 2× off either way. Unpinned, 4–7 of 139 shapes read below 0.9 in a run, different
 * ones each time; pinned, only the two that are below it in every run.
 */
public final class CpuPin implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CpuPin.class);

    private final int cpu;            // -1: not pinned
    private final String why;         // what the report says
    private final String tid, before; // the pinned thread and the CPUs it had

    private CpuPin(int cpu, String why, String tid, String before) {
        this.cpu = cpu;
        this.why = why;
        this.tid = tid;
        this.before = before;
    }

    /** Not pinned, for the reason given (the report says it). */
    public static CpuPin none(String why) {
        return new CpuPin(-1, why, null, null);
    }

    /**
     * Pins the calling thread for a run on {@code threads} threads. {@code requested}: null for the default (at one thread, the
     * first CPU this thread may use; at more, no pinning), −1 for none, else that CPU (one thread only). An explicit CPU that
     * cannot be had is an error naming {@code flag}; a default that cannot is a warning and an unpinned run.
     */
    public static CpuPin pin(Integer requested, int threads, String flag) {
        if (requested != null && requested < -1) {
            throw new IllegalArgumentException(flag + " " + requested + ": give a CPU number, or -1 for no pinning");
        }
        if (threads > 1) {
            if (requested != null && requested >= 0) {
                throw new IllegalArgumentException(flag + " " + requested + " pins a one-thread run; with --threads " + threads + " leave it out");
            }
            return none("not pinned (" + threads + " threads)");
        }
        if (requested != null && requested == -1) return none("not pinned (" + flag + " -1)");
        String tid, allowed;
        try {
            tid = threadId();
            allowed = allowedList();
        } catch (IOException | RuntimeException e) {
            return fail(requested, flag, "this system has no /proc/thread-self (" + e.getMessage() + ")");
        }
        TreeSet<Integer> cpus = parseList(allowed);
        int cpu = requested == null ? cpus.first() : requested;
        if (!cpus.contains(cpu)) {
            throw new IllegalArgumentException(flag + " " + cpu + ": this process may use CPUs " + allowed + "; choose one of them");
        }
        String err = taskset("-pc", Integer.toString(cpu), tid);
        if (err != null) return fail(requested, flag, err);
        return new CpuPin(cpu, "both sides on CPU " + cpu + " (taskset)", tid, allowed);
    }

    private static CpuPin fail(Integer requested, String flag, String why) {
        if (requested != null) throw new IllegalStateException(flag + " " + requested + ": could not pin: " + why + "; leave " + flag + " out");
        LOG.warn("timing both sides unpinned: {}", why);
        return none("not pinned: " + why);
    }

    /** The CPU both sides run on; −1 when not pinned. */
    public int cpu() {
        return cpu;
    }

    /** For the report: where the sides ran. */
    public String describe() {
        return why;
    }

    /** {@code cmd} started on the pinned CPU (as is when not pinned). */
    public List<String> command(List<String> cmd) {
        if (cpu < 0) return cmd;
        List<String> c = new ArrayList<>(List.of("taskset", "-c", Integer.toString(cpu)));
        c.addAll(cmd);
        return c;
    }

    /** Gives the pinned thread its CPUs back (call it on that thread's behalf; no-op when not pinned). */
    @Override
    public void close() {
        if (cpu < 0) return;
        String err = taskset("-pc", before, tid);
        if (err != null) LOG.warn("could not give thread {} its CPUs {} back: {}", tid, before, err);
    }

    /** The calling thread's kernel thread id, from /proc/thread-self ("pid/task/tid"). */
    static String threadId() throws IOException {
        Path p = Files.readSymbolicLink(Path.of("/proc/thread-self"));
        return p.getFileName().toString();
    }

    /** The calling thread's Cpus_allowed_list ("0-1", "0,2-3"). */
    static String allowedList() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/thread-self/status"), StandardCharsets.US_ASCII)) {
            if (line.startsWith("Cpus_allowed_list:")) return line.substring(line.indexOf(':') + 1).strip();
        }
        throw new IOException("no Cpus_allowed_list in /proc/thread-self/status");
    }

    /** "0-2,5" → {0, 1, 2, 5}. */
    static TreeSet<Integer> parseList(String list) {
        TreeSet<Integer> s = new TreeSet<>();
        for (String part : list.split(",")) {
            String t = part.strip();
            if (t.isEmpty()) continue;
            int dash = t.indexOf('-');
            int lo = Integer.parseInt(dash < 0 ? t : t.substring(0, dash)), hi = dash < 0 ? lo : Integer.parseInt(t.substring(dash + 1));
            for (int c = lo; c <= hi; c++) s.add(c);
        }
        if (s.isEmpty()) throw new IllegalArgumentException("empty CPU list '" + list + "'");
        return s;
    }

    /** Runs taskset with these arguments; null when it worked, else what went wrong. */
    private static String taskset(String... args) {
        List<String> cmd = new ArrayList<>(List.of("taskset"));
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            int rc = p.waitFor();
            return rc == 0 ? null : "taskset " + String.join(" ", args) + " exited " + rc + ": " + out;
        } catch (IOException e) {
            return "no taskset (apt-get install util-linux): " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }
}
