package org.lance4j.nn;

import org.lance4j.tensor.BackwardArena;
import org.lance4j.tensor.Tensor;

/**
 * What layers share during a step: the backward-held arena, one workspace region (im2col columns;
 * only one layer runs at a time), the mode flags and the dropout generator. One per planned graph.
 */
public final class StepContext {
    /** Everything kept from forward for backward. */
    public final BackwardArena held;
    /** Shared scratch, sized to the largest layer's need; contents do not survive a layer call. */
    public Tensor workspace;
    /** Kernel threads (null: the caller's only); layers pass it to the GEMMs they split over output tiles. */
    public org.lance4j.kernel.Workers workers;
    /** Training mode (PyTorch {@code model.train()}): BN batch statistics and dropout are active. */
    public boolean training;
    /** BN layers use and keep their running statistics even while training (the fine-tuning recipe). */
    public boolean freezeBatchNorm;
    /** Forward keeps what backward needs; false for inference passes. */
    public boolean recording;
    private long rng;
    /** Multiply-adds of the kernels run in the current step, forward and backward (element-wise work not counted). */
    public long macsForward, macsBackward;
    /** Set by the graph while it runs backward, so that {@link #macs} books into the right half. */
    public boolean inBackward;

    /**
     * Runs a task split over the pool's threads, or as one part on the caller when there is no pool or the
     * work ({@code elements} touched, about) is too small to pay for waking the workers. Tasks must give the
     * same result for any split (disjoint outputs, no shared sums), so the choice never changes a result.
     */
    public void parallel(org.lance4j.kernel.Workers.Task t, long elements) {
        if (workers == null || workers.threads() == 1 || elements < PARALLEL_MIN_ELEMENTS) t.run(0, 1);
        else workers.run(t);
    }

    /** Below this many elements, element-wise and per-channel work stays on the caller (a wake-up costs microseconds). */
    static final long PARALLEL_MIN_ELEMENTS = 32 * 1024;

    /** a[off, off + n) ← 0, split over the pool when large (the gradient buffers zeroed before each layer's backward). */
    public void zero(float[] a, int off, int n) {
        zeroTask.a = a;
        zeroTask.off = off;
        zeroTask.n = n;
        try {
            parallel(zeroTask, n);
        } finally {
            zeroTask.a = null;
        }
    }

    private final ZeroTask zeroTask = new ZeroTask();

    /** Zeroes one part of a range; parts start on 16-float (64-byte) boundaries so no two threads write one cache line. */
    private static final class ZeroTask implements org.lance4j.kernel.Workers.Task {
        float[] a;
        int off, n;

        @Override
        public void run(int part, int parts) {
            int lines = (n + 15) / 16;
            int from = (int) Math.min(n, (long) lines * part / parts * 16), to = (int) Math.min(n, (long) lines * (part + 1) / parts * 16);
            if (to > from) java.util.Arrays.fill(a, off + from, off + to, 0f);
        }
    }

    public StepContext(BackwardArena held, long seed) {
        this.held = held;
        this.rng = seed;
    }

    /** Books n multiply-adds of a kernel call. */
    public void macs(long n) {
        if (inBackward) macsBackward += n;
        else macsForward += n;
    }

    public void reseed(long seed) {
        rng = seed;
    }

    /** SplitMix64: a uniform float in [0, 1) without allocating. */
    public float nextFloat() {
        long z = (rng += 0x9E3779B97F4A7C15L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z = z ^ (z >>> 31);
        return (z >>> 40) * 0x1.0p-24f;
    }
}
