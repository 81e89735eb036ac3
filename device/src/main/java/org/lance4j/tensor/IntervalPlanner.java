package org.lance4j.tensor;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Places buffers with known lifetimes [first, last] (inclusive step indices) into one address space
 * so that buffers alive at the same time never overlap: greedy first fit, largest first. Used for
 * forward activations and their gradients, whose lifetimes come from the graph's topological order.
 */
public final class IntervalPlanner {
    private record Req(int id, int size, int first, int last) { }

    private final List<Req> reqs = new ArrayList<>();
    private int[] offsets;
    private int total;

    /** @return the request id */
    public int add(int size, int first, int last) {
        if (last < first) throw new IllegalArgumentException("lifetime [" + first + ", " + last + "] is empty");
        reqs.add(new Req(reqs.size(), size, first, last));
        return reqs.size() - 1;
    }

    public void solve() {
        offsets = new int[reqs.size()];
        List<Req> order = new ArrayList<>(reqs);
        order.sort(Comparator.comparingInt((Req r) -> -r.size).thenComparingInt(r -> r.id));
        List<Req> placed = new ArrayList<>();
        total = 0;
        for (Req r : order) {
            // Candidate offsets: 0 and the end of every placed buffer whose lifetime overlaps ours.
            List<int[]> busy = new ArrayList<>();
            for (Req p : placed) {
                if (p.first <= r.last && r.first <= p.last) busy.add(new int[] {offsets[p.id], offsets[p.id] + p.size});
            }
            busy.sort(Comparator.comparingInt(a -> a[0]));
            int off = 0;
            for (int[] b : busy) {
                if (off + r.size <= b[0]) break;
                off = Math.max(off, b[1]);
            }
            offsets[r.id] = off;
            total = Math.max(total, off + r.size);
            placed.add(r);
        }
    }

    public int offset(int id) {
        return offsets[id];
    }

    /** Floats needed for all requests. */
    public int total() {
        return total;
    }
}
