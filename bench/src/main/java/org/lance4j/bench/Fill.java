package org.lance4j.bench;

import java.util.SplittableRandom;

/** Seeded uniform values in [−1, 1) for the benchmarks' operands. */
final class Fill {
    private Fill() { }

    static float[] uniform(SplittableRandom r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextDouble(-1, 1);
        return v;
    }
}
