package org.lance4j.tensor;

import java.util.Arrays;

/**
 * An immutable tensor shape, row-major (the last dimension is contiguous). Activations are NCHW:
 * (B, C, H, W); fully connected activations are (B, F).
 */
public final class Shape {
    private final int[] dims;
    private final long size;

    private Shape(int[] dims) {
        long s = 1;
        for (int d : dims) {
            if (d <= 0) {
                throw new IllegalArgumentException("shape " + Arrays.toString(dims) + " has a non-positive dimension");
            }
            s *= d;
        }
        if (s > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("shape " + Arrays.toString(dims) + " has more than 2^31-1 elements");
        }
        this.dims = dims;
        this.size = s;
    }

    public static Shape of(int... dims) {
        return new Shape(dims.clone());
    }

    public int rank() {
        return dims.length;
    }

    public int dim(int i) {
        return dims[i < 0 ? dims.length + i : i];
    }

    /** Number of elements. */
    public int size() {
        return (int) size;
    }

    /** Elements per batch item: the product of all dimensions but the first. */
    public int perItem() {
        return (int) (size / dims[0]);
    }

    /** The same shape with a different leading (batch) dimension. */
    public Shape withBatch(int b) {
        int[] d = dims.clone();
        d[0] = b;
        return new Shape(d);
    }

    /** (B, d0, d1, …) from a per-item shape (d0, d1, …). */
    public Shape withBatchPrefix(int b) {
        int[] d = new int[dims.length + 1];
        d[0] = b;
        System.arraycopy(dims, 0, d, 1, dims.length);
        return new Shape(d);
    }

    public int[] dims() {
        return dims.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Shape s && Arrays.equals(dims, s.dims);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dims);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < dims.length; i++) {
            if (i > 0) sb.append(", ");
            sb.append(dims[i]);
        }
        return sb.append(')').toString();
    }
}
