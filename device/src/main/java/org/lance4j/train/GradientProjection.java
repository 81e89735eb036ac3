package org.lance4j.train;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.lance4j.graph.Graph;
import org.lance4j.graph.Param;
import org.lance4j.kernel.Gemm;
import org.lance4j.tensor.Arena;
import org.lance4j.tensor.Shape;
import org.lance4j.tensor.Tensor;

/**
 * GPM's update rule (Saha et al.), the continual-learning baseline: after every backward pass, each
 * protected weight gradient g, viewed as (O, D) with D = C·K·K for a convolution (in (c, kh, kw) order)
 * or the input features of a linear layer, loses its component in the memory: g ← g − (g P) Pᵀ with P
 * (D, k) orthonormal. Unlike LANCE-CL, the memories live on the device for the whole of training; their
 * bytes are {@link #memoryBytes}. Allocation-free: P and the (O, k) product live in one arena.
 */
public final class GradientProjection {
    private record Entry(Tensor grad, Tensor p, int o, int d, int k) { }

    private final List<Entry> entries = new ArrayList<>();
    private final Arena arena = new Arena("gradient projection memory");
    private final Tensor work;   // (O, k) for the largest layer
    private final long memoryFloats;

    /**
     * @param graph  the training graph (its weight gradients are projected in place)
     * @param memory per node: P (D, k) row-major, D the weight's per-output length; k = 0 entries are skipped
     */
    public GradientProjection(Graph graph, Map<String, float[]> memory) {
        long floats = 0, work = 0;
        List<Object[]> pending = new ArrayList<>();
        for (Map.Entry<String, float[]> e : memory.entrySet()) {
            Param w = graph.model().paramOrNull(e.getKey() + ".weight");
            if (w == null || !graph.trainable().contains(w)) {
                throw new IllegalArgumentException("the GPM memory names '" + e.getKey() + "', which has no trained weight in this graph");
            }
            int o = w.value().shape.dim(0), d = w.value().size() / o;
            float[] p = e.getValue();
            if (p.length % d != 0) {
                throw new IllegalArgumentException("the GPM memory of '" + e.getKey() + "' has " + p.length + " values, not a multiple of D = " + d);
            }
            int k = p.length / d;
            if (k == 0) continue;
            pending.add(new Object[] {graph.gradOf(w), p, o, d, k, e.getKey()});
            floats += p.length;
            work = Math.max(work, (long) o * k);
        }
        for (Object[] a : pending) {
            int d = (int) a[3], k = (int) a[4];
            Tensor p = arena.allocate(a[5] + ".P", Shape.of(d, k));
            entries.add(new Entry((Tensor) a[0], p, (int) a[2], d, k));
        }
        this.work = work > 0 ? arena.allocate("gP", Shape.of((int) work)) : null;
        arena.seal();
        for (int i = 0; i < entries.size(); i++) entries.get(i).p().copyFrom((float[]) pending.get(i)[1], 0);
        this.memoryFloats = floats;
    }

    /** g ← g − (g P) Pᵀ for every protected weight. */
    public void apply() {
        for (Entry e : entries) {
            Tensor g = e.grad();
            Gemm.nn(e.o(), e.k(), e.d(), g.data, g.offset, e.d(), e.p().data, e.p().offset, e.k(), work.data, work.offset, e.k(), false);
            for (int i = 0; i < e.o() * e.k(); i++) work.data[work.offset + i] = -work.data[work.offset + i];
            Gemm.nt(e.o(), e.d(), e.k(), work.data, work.offset, e.k(), e.p().data, e.p().offset, e.k(), g.data, g.offset, e.d(), true);
        }
    }

    /** Bytes of the memories held during training (P of every protected layer). */
    public long memoryBytes() {
        return 4 * memoryFloats;
    }
}
