package org.lance4j.compress;

/**
 * A layer's continual-learning memory: P (D, k), orthonormal columns, row-major, spanning what earlier
 * tasks' inputs to the layer occupy. D is the length of the weight's rows — C·K·K in (c, kh, kw) order
 * for a convolution, the input features for a linear layer. k = 0 is an empty memory.
 */
public record SubspaceMemory(int d, int k, float[] p) {
    public SubspaceMemory {
        if (d < 1 || k < 0 || k > d) throw new IllegalArgumentException("a memory needs 0 ≤ k ≤ D, D ≥ 1; got D = " + d + ", k = " + k);
        if (p == null || p.length != d * k) {
            throw new IllegalArgumentException("a memory of " + d + "×" + k + " needs " + d * k + " values, got " + (p == null ? "none" : p.length));
        }
    }

    public static SubspaceMemory empty(int d) {
        return new SubspaceMemory(d, 0, new float[0]);
    }

    public long bytes() {
        return 4L * d * k;
    }
}
