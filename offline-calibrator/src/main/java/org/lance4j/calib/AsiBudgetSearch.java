package org.lance4j.calib;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.lance4j.compress.ConvBasis;
import org.lance4j.data.BatchLoader;
import org.lance4j.data.Dataset;
import org.lance4j.data.Normalization;
import org.lance4j.graph.Graph;
import org.lance4j.graph.Model;
import org.lance4j.graph.TrainableRule;
import org.lance4j.kernel.ModeOps;

/**
 * ASI's offline rank selection (ASI's utils/perplexity.py, per peer-implementations.md): on one
 * calibration batch, for every trained layer and every ε in {0.4, …, 0.9}, the ranks HOSVD would take
 * on that batch, the layer's memory (core + factors) and the error ‖dW_lowrank − dW‖_F of the weight
 * gradient with those bases; then the combination of one ε per layer with the least total error whose
 * memory fits the budget (exhaustive search with pruning). The chosen ranks start from seeded Gaussian
 * orthonormal factors, as ASI's first step does.
 */
public final class AsiBudgetSearch {
    public static final double[] ENERGIES = {0.4, 0.5, 0.6, 0.7, 0.8, 0.9};

    /** One layer's options and choice. */
    public record LayerChoice(String node, double energy, int[] ranks, long bytes, double error, long[] optionBytes, double[] optionErrors) { }

    public record Result(List<LayerChoice> layers, long totalBytes, double totalError, long budgetBytes, Map<String, ConvBasis> bases) { }

    private AsiBudgetSearch() { }

    /** The bases HOSVD's energy rule gives at ε, cut from a full-energy calibration of the same batch. */
    static ConvBasis truncate(Calibrator.Layer full, double energy) {
        ConvBasis b = full.basis();
        int[] d = {b.b(), b.c(), b.h(), b.w()}, rFull = {b.rB(), b.rC(), b.rH(), b.rW()};
        float[][] u = {b.uB(), b.uC(), b.uH(), b.uW()};
        float[][] cut = new float[4][];
        int[] r = rFull.clone();
        for (Calibrator.Mode m : full.modes()) {
            int i = "BCHW".indexOf(m.name());
            r[i] = Math.min(rFull[i], org.lance4j.linalg.SymmetricEigen.rankForEnergy(m.eigenvalues(), energy));
            cut[i] = new float[d[i] * r[i]];
            for (int row = 0; row < d[i]; row++) System.arraycopy(u[i], row * rFull[i], cut[i], row * r[i], r[i]);
        }
        return new ConvBasis(d[0], d[1], d[2], d[3], cut[0], cut[0] == null ? d[0] : r[0], cut[1], r[1], cut[2], r[2], cut[3], r[3]);
    }

    public static Result search(Model model, Dataset data, Normalization norm, int layers, int batch, boolean projectBatch, long budgetBytes,
                                long seed) {
        int nE = ENERGIES.length;
        // the exact gradient of the trained layers on the probe batch
        BatchLoader loader = new BatchLoader(data, norm, batch, true, BatchLoader.Augment.NONE, seed);
        loader.next();
        Graph.Config gc = Graph.Config.train(batch, TrainableRule.lastConvs(layers)).withFrozenBatchNorm().withSeed(seed);
        Map<String, float[]> exact = gradients(model, gc, loader);
        List<String> nodes = new ArrayList<>(exact.keySet());
        long[][] bytes = new long[nodes.size()][nE];
        double[][] err = new double[nodes.size()][nE];
        int[][][] ranks = new int[nodes.size()][nE][];
        // one decomposition of the probe batch; each ε takes the leading columns its ranks need
        Map<String, Calibrator.Layer> full = Calibrator.calibrate(model, data, norm, new Calibrator.Settings(layers, 1.0, 1, batch, projectBatch, seed), null);
        for (int e = 0; e < nE; e++) {
            Map<String, ConvBasis> bases = new LinkedHashMap<>();
            for (Map.Entry<String, Calibrator.Layer> f : full.entrySet()) bases.put(f.getKey(), truncate(f.getValue(), ENERGIES[e]));
            Map<String, float[]> low = gradients(model, gc.withCompression(bases), loader);
            for (int l = 0; l < nodes.size(); l++) {
                ConvBasis b = bases.get(nodes.get(l));
                bytes[l][e] = 4L * (b.coreSize() + b.factorSize());
                err[l][e] = distance(exact.get(nodes.get(l)), low.get(nodes.get(l)));
                ranks[l][e] = new int[] {b.rB(), b.rC(), b.rH(), b.rW()};
            }
        }
        // least total error within the budget
        int[] best = new int[nodes.size()], cur = new int[nodes.size()];
        double[] bestErr = {Double.POSITIVE_INFINITY};
        long[] minRest = new long[nodes.size() + 1];
        for (int l = nodes.size() - 1; l >= 0; l--) {
            long m = Long.MAX_VALUE;
            for (long v : bytes[l]) m = Math.min(m, v);
            minRest[l] = minRest[l + 1] + m;
        }
        if (minRest[0] > budgetBytes) {
            StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
                    "--budget %d bytes is too small for ASI on the last %d convolutions: even ε = %.1f needs %d bytes:", budgetBytes, layers,
                    ENERGIES[0], minRest[0]));
            for (int l = 0; l < nodes.size(); l++) sb.append(String.format(Locale.ROOT, "%n  %-24s %,10d bytes", nodes.get(l), bytes[l][0]));
            throw new IllegalArgumentException(sb.append(System.lineSeparator()).append("raise --budget or choose fewer --layers").toString());
        }
        searchFrom(0, 0, 0, bytes, err, budgetBytes, minRest, cur, best, bestErr);
        List<LayerChoice> out = new ArrayList<>();
        Map<String, ConvBasis> bases = new LinkedHashMap<>();
        SplittableRandom rnd = new SplittableRandom(seed);
        long total = 0;
        for (int l = 0; l < nodes.size(); l++) {
            int e = best[l];
            int[] r = ranks[l][e];
            Shape4 s = shape(model, gc, nodes.get(l));
            bases.put(nodes.get(l), new ConvBasis(s.b, s.c, s.h, s.w, projectBatch ? gaussian(s.b, r[0], rnd) : null, projectBatch ? r[0] : 0,
                    gaussian(s.c, r[1], rnd), r[1], gaussian(s.h, r[2], rnd), r[2], gaussian(s.w, r[3], rnd), r[3]));
            out.add(new LayerChoice(nodes.get(l), ENERGIES[e], r, bytes[l][e], err[l][e], bytes[l].clone(), err[l].clone()));
            total += bytes[l][e];
        }
        return new Result(out, total, bestErr[0], budgetBytes, bases);
    }

    private record Shape4(int b, int c, int h, int w) { }

    private static Shape4 shape(Model m, Graph.Config gc, String node) {
        String in = m.spec().nodes().stream().filter(x -> x.name().equals(node)).findFirst().orElseThrow().inputs().get(0);
        int[] d = m.spec().shape(in).withBatchPrefix(gc.batch()).dims();
        return new Shape4(d[0], d[1], d[2], d[3]);
    }

    private static void searchFrom(int l, long mem, double e, long[][] bytes, double[][] err, long budget, long[] minRest, int[] cur,
                                   int[] best, double[] bestErr) {
        if (l == bytes.length) {
            if (e < bestErr[0]) {
                bestErr[0] = e;
                System.arraycopy(cur, 0, best, 0, cur.length);
            }
            return;
        }
        for (int k = 0; k < bytes[l].length; k++) {
            long m = mem + bytes[l][k];
            if (m + minRest[l + 1] > budget || e + err[l][k] >= bestErr[0]) continue;
            cur[l] = k;
            searchFrom(l + 1, m, e + err[l][k], bytes, err, budget, minRest, cur, best, bestErr);
        }
    }

    /** Weight gradients of the graph's compressed-or-not convolutions on the loader's current batch, by node. */
    private static Map<String, float[]> gradients(Model model, Graph.Config gc, BatchLoader batch) {
        Graph g = Graph.plan(model, gc);
        g.setInput(batch.images(), 0, batch.batchShape());
        g.zeroGrads();
        g.forwardTraining();
        g.lossAndGrad(batch.labels(), 0);
        g.backward();
        Map<String, float[]> out = new LinkedHashMap<>();
        for (String conv : TrainableRule.regularConvs(model.spec())) {
            if (g.trainedNodes().contains(conv)) out.put(conv, g.gradOf(model.param(conv + ".weight")).toArray());
        }
        return out;
    }

    private static double distance(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            double d = a[i] - b[i];
            s += d * d;
        }
        return Math.sqrt(s);
    }

    static float[] gaussian(int d, int r, SplittableRandom rnd) {
        float[] u = new float[d * r];
        for (int i = 0; i < u.length; i++) u[i] = (float) rnd.nextGaussian();
        ModeOps.orthonormalize(u, 0, d, r);
        return u;
    }
}
