package org.lance4j.calib;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.lance4j.compress.SubspaceMemory;
import org.lance4j.data.BatchLoader;
import org.lance4j.data.Dataset;
import org.lance4j.data.Normalization;
import org.lance4j.graph.Graph;
import org.lance4j.graph.Model;

/**
 * Phase III memory construction (GPM's, which LANCE-CL shares): after a task, for every protected layer,
 * the representation R (D, N) of the finished task's inputs (a few samples, model in eval mode; a
 * convolution's items unfolded im2col-style), minus what the memory already spans, R̂ = R − P Pᵀ R; then
 * the fewest new left singular vectors of R̂ such that (‖P Pᵀ R‖² + Σ_{i≤k} σ̂_i²) / ‖R‖² ≥ ε, appended to
 * P (orthonormal). The threshold schedule is ε(t) = base + step·t for the 0-based task t just finished.
 */
public final class ContinualMemory {
    private ContinualMemory() { }

    /** One layer's update: D, directions before and added, the fraction of ‖R‖² spanned before and after. */
    public record LayerUpdate(String node, int d, int before, int added, double spannedBefore, double spannedAfter) { }

    public record Result(Map<String, SubspaceMemory> memory, List<LayerUpdate> updates) {
        public long bytes() {
            long b = 0;
            for (SubspaceMemory m : memory.values()) b += m.bytes();
            return b;
        }
    }

    /** ε(t) = base + step·t, at most 1; t is the 0-based index of the task just finished. */
    public static double threshold(int task, double base, double step) {
        return Math.min(1.0, base + step * task);
    }

    /**
     * @param samples   images of the finished task that make R (GPM uses 125)
     * @param previous  the memory so far by node (missing nodes start empty)
     */
    public static Result update(Model model, Dataset data, Normalization norm, List<String> layers, Map<String, SubspaceMemory> previous,
                                double threshold, int samples, long seed) {
        if (!(threshold > 0 && threshold <= 1)) throw new IllegalArgumentException("--cl-threshold must be in (0, 1], got " + threshold);
        if (samples < 1) throw new IllegalArgumentException("--memory-samples must be ≥ 1, got " + samples);
        int n = Math.min(samples, data.size());
        Graph g = Graph.plan(model, Graph.Config.inference(n));
        Map<String, InputStatistics> stats = new LinkedHashMap<>();
        for (String node : layers) {
            InputStatistics st = new InputStatistics(LayerInput.of(model.spec(), node), n, 1, false, false);   // R Rᵀ, or R when N·L < D
            stats.put(node, st);
            g.observeInput(node, st::add);
        }
        BatchLoader loader = new BatchLoader(data, norm, n, true, BatchLoader.Augment.NONE, seed);
        loader.startEpoch();
        loader.next();
        g.setInput(loader.images(), 0, loader.batchShape());
        g.forwardInference();

        Map<String, SubspaceMemory> out = new LinkedHashMap<>(previous);
        List<LayerUpdate> updates = new ArrayList<>();
        for (String node : layers) {
            LayerInput li = stats.get(node).in;
            SubspaceMemory p = previous.getOrDefault(node, SubspaceMemory.empty(li.d()));
            if (p.d() != li.d()) throw new IllegalArgumentException(node + ": memory has D = " + p.d() + " but the layer's rows are " + li.d());
            ProjectedSpectrum s = stats.get(node).inputSpectrum(p);
            double spanned = s.along();
            int k = 0;
            while (k < s.m() && spanned / s.total() < threshold - 1e-12) spanned += s.values()[k++];
            out.put(node, append(p, s, k));
            updates.add(new LayerUpdate(node, li.d(), p.k(), k, s.alongFraction(), s.total() <= 0 ? 1 : Math.min(1, spanned / s.total())));
        }
        return new Result(out, updates);
    }

    /** P with the first k vectors of s appended, taken off P and orthonormalized ({@link ProjectedSpectrum#basis}). */
    static SubspaceMemory append(SubspaceMemory p, ProjectedSpectrum s, int k) {
        if (k == 0) return p;
        float[] add = s.basis(k);
        int d = p.d(), old = p.k(), ka = add.length / d, nk = old + ka;
        float[] q = new float[d * nk];
        for (int i = 0; i < d; i++) {
            System.arraycopy(p.p(), i * old, q, i * nk, old);
            System.arraycopy(add, i * ka, q, i * nk + old, ka);
        }
        return new SubspaceMemory(d, nk, q);
    }
}
