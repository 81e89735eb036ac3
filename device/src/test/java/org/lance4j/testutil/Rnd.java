package org.lance4j.testutil;

import java.util.SplittableRandom;

/** Seeded test data. */
public final class Rnd {
    private final SplittableRandom r;

    public Rnd(long seed) {
        r = new SplittableRandom(seed);
    }

    /** Uniform in [−1, 1). */
    public float[] uniform(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextDouble() * 2 - 1);
        return a;
    }

    public float[] uniform(int n, double lo, double hi) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (lo + r.nextDouble() * (hi - lo));
        return a;
    }

    /**
     * Distinct values of both signs, each at least {@code gap} from zero and from each other, in random
     * order: inputs for kinked functions (ReLU, max pooling) where a finite difference of step h < gap/2
     * never crosses a kink.
     */
    public float[] spaced(int n, float gap) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (i - n / 2 + (i >= n / 2 ? 1 : 0)) * gap;
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            float t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
        return a;
    }

    public int nextInt(int bound) {
        return r.nextInt(bound);
    }
}
