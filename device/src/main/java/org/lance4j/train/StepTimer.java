package org.lance4j.train;

import java.util.Arrays;

/**
 * Wall-clock times of the parts of a training step (forward, backward, optimizer) over a ring of the
 * most recent steps, reported as medians; recording allocates nothing.
 */
public final class StepTimer {
    public enum Part { FORWARD, BACKWARD, OPTIMIZER }

    private final long[][] ns;
    private int count;

    public StepTimer(int window) {
        if (window < 1) throw new IllegalArgumentException("timer window must be ≥ 1");
        ns = new long[Part.values().length][window];
    }

    public void record(long forward, long backward, long optimizer) {
        int slot = count % ns[0].length;
        ns[0][slot] = forward;
        ns[1][slot] = backward;
        ns[2][slot] = optimizer;
        count++;
    }

    public int samples() {
        return Math.min(count, ns[0].length);
    }

    public double medianMs(Part p) {
        int n = samples();
        if (n == 0) return Double.NaN;
        long[] c = Arrays.copyOf(ns[p.ordinal()], n);
        Arrays.sort(c);
        return (n % 2 == 1 ? c[n / 2] : (c[n / 2 - 1] + c[n / 2]) / 2.0) / 1e6;
    }

    /** Median of per-step totals. */
    public double medianTotalMs() {
        int n = samples();
        if (n == 0) return Double.NaN;
        long[] t = new long[n];
        for (int i = 0; i < n; i++) t[i] = ns[0][i] + ns[1][i] + ns[2][i];
        Arrays.sort(t);
        return (n % 2 == 1 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2.0) / 1e6;
    }

    public void reset() {
        count = 0;
    }

    /** Forgets the most recent step (one run only to settle, not to be timed); none recorded: nothing. */
    public void discardLast() {
        if (count > 0) count--;
    }
}
