package org.lance4j.tensor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A statically planned arena: sizes are computed from the configuration, one float array and one int
 * array are allocated when {@link #seal()} is called, and named views point into them. Used for
 * parameters, gradients, optimizer state and forward scratch. Views may overlap when the planner
 * says their lifetimes do not (see {@link IntervalPlanner}).
 */
public final class Arena {
    public final String name;
    private final List<Tensor> views = new ArrayList<>();
    private final List<IntView> intViews = new ArrayList<>();
    private int floats;
    private int ints;
    private float[] f;
    private int[] i;

    public Arena(String name) {
        this.name = name;
    }

    /** A view at the next free offset. */
    public Tensor allocate(String viewName, Shape shape) {
        return allocateAt(viewName, shape, floats);
    }

    /** A view at a planner-given offset (views may alias when their lifetimes are disjoint). */
    public Tensor allocateAt(String viewName, Shape shape, int offset) {
        checkOpen();
        Tensor t = new Tensor(viewName, shape, null, offset);
        views.add(t);
        floats = Math.max(floats, offset + shape.size());
        return t;
    }

    public IntView allocateInts(String viewName, int length) {
        checkOpen();
        IntView v = new IntView(viewName, length);
        v.offset = ints;
        ints += length;
        intViews.add(v);
        return v;
    }

    /** Allocates the backing arrays and points every view at them. */
    public void seal() {
        checkOpen();
        f = new float[floats];
        i = new int[ints];
        for (Tensor t : views) t.data = f;
        for (IntView v : intViews) v.data = i;
    }

    private void checkOpen() {
        if (f != null) throw new IllegalStateException("arena " + name + " is sealed; re-plan to change its layout");
    }

    public float[] floats() {
        return f;
    }

    public int floatCount() {
        return floats;
    }

    public long bytes() {
        return 4L * floats + 4L * ints;
    }

    public List<Tensor> views() {
        return Collections.unmodifiableList(views);
    }
}
