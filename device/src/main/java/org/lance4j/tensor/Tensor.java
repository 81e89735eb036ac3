package org.lance4j.tensor;

/**
 * A named float32 view into an arena: {@code data[offset .. offset + shape.size())}, row-major.
 * Views are created once when a graph is planned; kernels read {@link #data} and {@link #offset}
 * directly so that a training step allocates nothing. The offset is mutable only for views into the
 * {@link BackwardArena}, which places them at run time (stack discipline).
 */
public final class Tensor {
    public final String name;
    public final Shape shape;
    public float[] data;
    public int offset;

    public Tensor(String name, Shape shape, float[] data, int offset) {
        this.name = name;
        this.shape = shape;
        this.data = data;
        this.offset = offset;
    }

    public int size() {
        return shape.size();
    }

    public float get(int i) {
        return data[offset + i];
    }

    public void set(int i, float v) {
        data[offset + i] = v;
    }

    public void fill(float v) {
        java.util.Arrays.fill(data, offset, offset + shape.size(), v);
    }

    public void copyFrom(float[] src, int srcOff) {
        System.arraycopy(src, srcOff, data, offset, shape.size());
    }

    public void copyFrom(Tensor src) {
        if (src.size() != size()) {
            throw new ShapeMismatchException("cannot copy " + src.name + " " + src.shape + " into " + name + " " + shape);
        }
        System.arraycopy(src.data, src.offset, data, offset, size());
    }

    /** A fresh copy of the contents (allocates: for tests, tools and checkpoints, never in a step). */
    public float[] toArray() {
        float[] out = new float[size()];
        System.arraycopy(data, offset, out, 0, out.length);
        return out;
    }

    @Override
    public String toString() {
        return name + shape;
    }
}
