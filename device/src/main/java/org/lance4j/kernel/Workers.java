package org.lance4j.kernel;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed pool of worker threads that split one kernel call over output tiles. {@link #run} splits a
 * {@link Task} into as many parts as there are threads: the caller runs part 0, and the parts 1.. are claimed
 * one at a time by whichever thread gets to them first — the workers as they wake, and the caller itself once
 * its own part is done — so a worker that is late (woken from a park onto the caller's CPU, or preempted) costs
 * at most the single-thread time of the call, never a wait for it. A part's work depends on its index only, so
 * results are the same whichever thread runs it. Returns when all parts are done. Dispatch allocates nothing
 * (volatile fields, atomic counters, park/unpark), so a training step on several threads stays allocation-free.
 *
 * <p>One caller at a time: a graph owns its pool, and a second thread entering {@link #run} while a call
 * is in flight is refused. Idle workers spin briefly (a kernel call usually follows another within
 * microseconds) and then park. Threads are daemons; {@link #close} stops them.
 */
public final class Workers implements AutoCloseable {
    /** One part of a split kernel call; parts write disjoint outputs. */
    public interface Task {
        void run(int part, int parts);
    }

    /**
     * Spins of an idle worker before it parks (200,000 spin-waits: about 6 ms on the Zen 3 we measure on): the gaps between a step's kernel calls (a
     * serial element-wise pass, a bias add) are shorter, and a parked worker took tens of microseconds to wake for
     * each of the thousands of GEMM calls of a step — the caller finished its half and waited (seen in a profile
     * of ResNet18 on 2 threads). Idle pools park after this.
     */
    private static final int SPINS = 200_000;
    /**
     * A spinning thread (the caller waiting for the workers, or a worker waiting for work) calls {@link Thread#yield} every
     * 1,024 spin-waits (~25 µs). Found in {@code bench gemm --threads 2} on a 2-vCPU Zen 5 guest: after the bench's 15 ms
     * pauses the caller and its worker could end up on one vCPU, the caller spinning away the time slice its worker
     * needed — a 0.3 ms product took ~4 ms (ResNet18's shapes of ≥ 30 MFLOP: 7 of 14 at 15–19 GFLOPS; with the yield,
     * none below 70). Whole training steps measured no different either way (alternating runs, within their noise).
     */
    private static final int YIELD_EVERY = 1023;

    private final int threads;
    private final Thread[] pool;
    private final AtomicInteger remaining = new AtomicInteger();
    /** The current call's epoch (high bits) and its next unclaimed part (low 16 bits). */
    private final AtomicLong claim = new AtomicLong();
    private final AtomicInteger busy = new AtomicInteger();
    private volatile Task task;
    private volatile long epoch;
    private volatile boolean closed;
    private volatile Throwable failure;
    private volatile Thread caller;
    private long calls;
    /** The GEMM call being split (parameters of the current call; one caller at a time). */
    final GemmBlocked.Job gemm = new GemmBlocked.Job();

    /** @param threads total threads including the caller's, ≥ 1 */
    public Workers(int threads) {
        this(threads, threads - 1);
    }

    /**
     * A pool that splits calls into {@code threads} parts but starts only {@code started} worker threads: for tests of
     * what a late worker costs (the caller claims the parts nobody else does).
     */
    Workers(int threads, int started) {
        if (threads < 1) throw new IllegalArgumentException("--threads must be ≥ 1, got " + threads);
        this.threads = threads;
        this.pool = new Thread[Math.min(started, threads - 1)];
        for (int i = 0; i < pool.length; i++) {
            Thread t = new Thread(this::loop, "lance4j-worker-" + (i + 1));
            t.setDaemon(true);
            pool[i] = t;
            t.start();
        }
    }

    /** Threads a call is split over, the caller's included. */
    public int threads() {
        return threads;
    }

    /** Split calls made so far (for tests and reports: proof that a graph's kernels went through this pool). */
    public long calls() {
        return calls;
    }

    /** Ids of the pool's own threads (not the caller's), for per-thread accounting such as allocation tests. */
    public long[] threadIds() {
        long[] ids = new long[pool.length];
        for (int i = 0; i < pool.length; i++) ids[i] = pool[i].getId();
        return ids;
    }

    private static final ThreadLocal<Workers> DEFAULT = new ThreadLocal<>();

    /**
     * The pool graphs planned on this thread use when their config names none (null: the caller's thread
     * only). Commands set it once for their run ({@link #useOnThisThread}) instead of threading a pool through
     * every layer of code between the command line and the planner; threads a command starts for runs of
     * their own (an experiment's parallel runs) have none and train on one thread each.
     */
    public static Workers ofThisThread() {
        return DEFAULT.get();
    }

    /** Makes {@code w} this thread's default pool until the returned scope closes (which restores the previous one). */
    public static AutoCloseable useOnThisThread(Workers w) {
        Workers previous = DEFAULT.get();
        DEFAULT.set(w);
        return () -> DEFAULT.set(previous);
    }

    /** The number of processors this JVM may use: the default for {@code --threads}. */
    public static int availableCores() {
        return Runtime.getRuntime().availableProcessors();
    }

    /**
     * Runs {@code t.run(i, threads)} for every i, part 0 on the calling thread and the others on whichever thread
     * claims them first; returns when all are done.
     */
    public void run(Task t) {
        calls++;
        if (threads == 1) {
            t.run(0, 1);
            return;
        }
        if (closed) throw new IllegalStateException("this worker pool is closed");
        if (!busy.compareAndSet(0, 1)) {
            throw new IllegalStateException("a worker pool serves one caller at a time; give each concurrent graph its own");
        }
        try {
            caller = Thread.currentThread();
            failure = null;
            task = t;
            remaining.set(threads - 1);
            long call = epoch + 1;
            claim.set(call << 16 | 1);
            epoch = call;   // publishes task and the claim counter (volatile write after them)
            for (Thread w : pool) LockSupport.unpark(w);
            t.run(0, threads);
            runClaimed(t, call);   // the parts no worker has claimed yet
            int spins = 0;
            while (remaining.get() != 0) {
                if (++spins >= SPINS) LockSupport.park(this);
                else if ((spins & YIELD_EVERY) == 0) Thread.yield();
                else Thread.onSpinWait();
            }
            task = null;
            Throwable f = failure;
            if (f != null) {
                if (f instanceof RuntimeException re) throw re;
                if (f instanceof Error e) throw e;
                throw new IllegalStateException(f);
            }
        } finally {
            busy.set(0);
        }
    }

    private void loop() {
        long seen = 0;
        while (true) {
            int spins = 0;
            while (epoch == seen && !closed) {
                if (++spins >= SPINS) LockSupport.park(this);
                else if ((spins & YIELD_EVERY) == 0) Thread.yield();
                else Thread.onSpinWait();
            }
            if (closed) return;
            seen = epoch;
            Task t = task;
            if (t != null) runClaimed(t, seen);
        }
    }

    /**
     * Runs parts of the call of epoch {@code e} while any is unclaimed (none when that call is over: its epoch no
     * longer matches). The thread finishing the last part wakes the caller if it parked.
     */
    private void runClaimed(Task t, long e) {
        while (true) {
            long c = claim.get();
            int part = (int) (c & 0xFFFF);
            if (c >>> 16 != (e & 0xFFFF_FFFF_FFFFL) || part >= threads) return;
            if (!claim.compareAndSet(c, c + 1)) continue;
            try {
                t.run(part, threads);
            } catch (Throwable x) {
                failure = x;
            }
            if (remaining.decrementAndGet() == 0 && Thread.currentThread() != caller) LockSupport.unpark(caller);
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : pool) LockSupport.unpark(w);
        for (Thread w : pool) {
            try {
                w.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    @Override
    public String toString() {
        return threads + (threads == 1 ? " thread" : " threads");
    }
}
