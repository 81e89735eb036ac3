package org.lance4j.app;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.lance4j.calib.Calibrator;
import org.lance4j.compress.ConvBasis;
import org.lance4j.data.Dataset;
import org.lance4j.data.Normalization;
import org.lance4j.graph.Graph;
import org.lance4j.graph.Model;
import org.lance4j.graph.TrainableRule;

/**
 * {@code --fit}: the best fine-tuning configuration whose backward-held arena fits a budget, in the
 * order DESIGN.md gives — more layers first, then a higher ε (LANCE), then a smaller batch. Each
 * candidate is planned (and, for LANCE, calibrated on {@link #FIT_BATCHES} batches; those bases are
 * the ones used) and its exact need compared with the budget.
 */
public final class BudgetFit {
    public static final double[] ENERGIES = {0.9, 0.8, 0.7, 0.6, 0.5, 0.4};
    public static final int FIT_BATCHES = 20;

    /** The chosen configuration; energy is NaN for bp. */
    public record Choice(int layers, double energy, int batch, long needBytes, Map<String, ConvBasis> bases, List<String> tried) { }

    private BudgetFit() { }

    public static Choice choose(Model model, Dataset train, Normalization norm, boolean lance, int maxLayers, int maxBatch, long budget,
                                long seed) {
        List<String> tried = new ArrayList<>();
        long smallest = Long.MAX_VALUE;
        for (int n = maxLayers; n >= 1; n--) {
            double[] energies = lance ? ENERGIES : new double[] {Double.NaN};
            for (double e : energies) {
                for (int b = maxBatch; b >= 1; b /= 2) {
                    if (train.size() < b) continue;
                    Map<String, ConvBasis> bases = Map.of();
                    if (lance) {
                        Map<String, Calibrator.Layer> cal = Calibrator.calibrate(model, train, norm,
                                new Calibrator.Settings(n, e, FIT_BATCHES, b, false, seed), null);
                        java.util.LinkedHashMap<String, ConvBasis> m = new java.util.LinkedHashMap<>();
                        cal.forEach((k, v) -> m.put(k, v.basis()));
                        bases = m;
                    }
                    Graph.Config gc = Graph.Config.train(b, TrainableRule.lastConvs(n)).withFrozenBatchNorm().withCompression(bases);
                    long need = Graph.plan(model, gc).plannedHeldBytes();
                    smallest = Math.min(smallest, need);
                    tried.add(String.format(java.util.Locale.ROOT, "layers %d%s, batch %d: %,d bytes", n,
                            lance ? String.format(java.util.Locale.ROOT, ", ε %.1f", e) : "", b, need));
                    if (need <= budget) return new Choice(n, e, b, need, bases, tried);
                    if (b == 1) break;
                }
            }
        }
        throw new IllegalArgumentException(String.format(java.util.Locale.ROOT,
                "--fit: no configuration fits --budget %,d bytes; the smallest tried needs %,d bytes (1 layer, batch 1%s)%s",
                budget, smallest, lance ? ", ε 0.4" : "", lance ? "" : "; try --method lance"));
    }
}
