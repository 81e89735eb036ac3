package org.lance4j.calib;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.lance4j.compress.ConvBasis;
import org.lance4j.data.BatchLoader;
import org.lance4j.data.Dataset;
import org.lance4j.data.Normalization;
import org.lance4j.graph.Graph;
import org.lance4j.graph.LayerSpec;
import org.lance4j.graph.Model;
import org.lance4j.graph.ModelSpec;
import org.lance4j.graph.TrainableRule;
import org.lance4j.kernel.ModeOps;
import org.lance4j.linalg.SymmetricEigen;
import org.lance4j.tensor.Shape;
import org.lance4j.tensor.Tensor;

/**
 * LANCE Phase I: for every trained convolution (the last N with groups == 1, and optionally the
 * depthwise ones among them) and every mode of its
 * input, the true running mean of the Gram matrix over K calibration batches (model in eval mode, no
 * gradients), a symmetric eigendecomposition, and the rank r = min{r : Σ_{i≤r} λ_i / Σ λ_i ≥ ε} clamped
 * to [1, D]. The batch mode is projected only when asked (then the batch size is fixed for good).
 */
public final class Calibrator {
    /**
     * @param projectBatch also fix a basis for the batch mode (LANCE's published code does; DESIGN.md leaves it open)
     * @param depthwise    also calibrate the depthwise convolutions among the trained ones ({@link TrainableRule#withDepthwise})
     * @param head         also calibrate the classifier head's input (LANCE for the linear layer: modes B and F)
     */
    public record Settings(int layers, double energy, int batches, int batch, boolean projectBatch, long seed, boolean depthwise,
                           boolean head) {
        public Settings {
            if (layers < 1) throw new IllegalArgumentException("--layers must be ≥ 1, got " + layers);
            if (!(energy > 0 && energy <= 1)) throw new IllegalArgumentException("--energy must be in (0, 1], got " + energy);
            if (batches < 1) throw new IllegalArgumentException("--batches must be ≥ 1, got " + batches);
            if (batch < 1) throw new IllegalArgumentException("--batch must be ≥ 1, got " + batch);
        }

        /** The paper's selection: the last N convolutions with groups == 1 only. */
        public Settings(int layers, double energy, int batches, int batch, boolean projectBatch, long seed) {
            this(layers, energy, batches, batch, projectBatch, seed, false, false);
        }

        public Settings(int layers, double energy, int batches, int batch, boolean projectBatch, long seed, boolean depthwise) {
            this(layers, energy, batches, batch, projectBatch, seed, depthwise, false);
        }

        /** Every layer these settings calibrate: {@link #convs} and, with {@code head}, the classifier head(s). */
        public List<String> calibrated(ModelSpec spec) {
            List<String> out = convs(spec);
            if (head) out.addAll(spec.heads());
            return out;
        }

        /** The trained convolutions these settings select, in definition order. */
        public List<String> convs(ModelSpec spec) {
            TrainableRule rule = TrainableRule.lastConvs(layers);
            if (depthwise) rule = rule.withDepthwise();
            List<String> out = new ArrayList<>();
            for (String n : rule.select(spec)) {
                if (spec.nodes().stream().anyMatch(x -> x.name().equals(n) && x.layer() instanceof LayerSpec.Conv)) out.add(n);
            }
            return out;
        }
    }

    /** One mode of one layer: its size, rank, the energy its rank keeps, and the eigenvalues. */
    public record Mode(String name, int size, int rank, double energyKept, double[] eigenvalues) { }

    /** One layer's result. */
    public record Layer(String node, Shape input, List<Mode> modes, ConvBasis basis) {
        public long coreBytes() {
            return 4L * basis.coreSize();
        }

        /** A linear layer's 1 × 1 "spatial" factors and an unfolded layer's 1 × 1 mode are not kept (the runtime holds the rest). */
        public long factorBytes() {
            return 4L * (basis.heldFactorSize() - (linear() ? 2 : 0));
        }

        /** Calibrated for a linear layer (modes B and F). */
        public boolean linear() {
            return modes.stream().anyMatch(m -> m.name().equals("F"));
        }

        public long fullBytes() {
            return 4L * input.size();
        }
    }

    /** Progress per calibration batch. */
    public interface Listener {
        void batch(int done, int total);
    }

    private Calibrator() { }

    public static Map<String, Layer> calibrate(Model model, Dataset data, Normalization norm, Settings s, Listener l) {
        ModelSpec spec = model.spec();
        List<String> chosen = s.calibrated(spec);   // refuses --layers beyond the model's convolutions
        Graph g = Graph.plan(model, Graph.Config.inference(s.batch()));
        Map<String, float[][]> grams = new LinkedHashMap<>();     // per layer: gB, gC, gH, gW of one batch (float)
        Map<String, double[][]> sums = new LinkedHashMap<>();     // per layer: Σ over batches (double)
        Map<String, Shape> shapes = new LinkedHashMap<>();
        for (String node : chosen) {
            ModelSpec.Node n = spec.nodes().stream().filter(x -> x.name().equals(node)).findFirst().orElseThrow();
            Shape in = spec.shape(n.inputs().get(0)).withBatchPrefix(s.batch());
            if (n.layer() instanceof LayerSpec.Linear) in = Shape.of(s.batch(), in.perItem(), 1, 1);   // modes B, F
            else if (!(n.layer() instanceof LayerSpec.Conv)) throw new IllegalStateException(node);
            shapes.put(node, in);
            int[] d = in.dims();
            float[][] gf = new float[4][];
            double[][] gd = new double[4][];
            for (int m = 0; m < 4; m++) {
                gf[m] = new float[d[m] * d[m]];
                gd[m] = new double[d[m] * d[m]];
            }
            grams.put(node, gf);
            sums.put(node, gd);
            g.observeInput(node, (Tensor x) -> {
                for (float[] a : gf) java.util.Arrays.fill(a, 0f);
                ModeOps.gram(x.data, x.offset, d[0], d[1], d[2], d[3], s.projectBatch() ? gf[0] : null, gf[1], gf[2], gf[3]);
                for (int m = 0; m < 4; m++) for (int i = 0; i < gf[m].length; i++) gd[m][i] += gf[m][i];
            });
        }
        forwardBatches(g, data, norm, s.batch(), s.batches(), s.seed(), l);
        Map<String, Layer> out = new LinkedHashMap<>();
        for (String node : chosen) {
            int[] d = shapes.get(node).dims();
            boolean linear = spec.nodes().stream().anyMatch(x -> x.name().equals(node) && x.layer() instanceof LayerSpec.Linear);
            String[] names = linear ? new String[] {"B", "F"} : new String[] {"B", "C", "H", "W"};
            double[][] gd = sums.get(node);
            List<Mode> modes = new ArrayList<>();
            float[][] u = new float[4][];
            int[] r = new int[4];
            for (int m = 0; m < 4; m++) {
                if (m == 0 && !s.projectBatch()) {
                    r[0] = d[0];
                    continue;
                }
                if (linear && m >= 2) {   // the 1 × 1 "spatial" modes of a linear input: identity
                    r[m] = 1;
                    u[m] = new float[] {1};
                    continue;
                }
                double[] mean = gd[m].clone();
                for (int i = 0; i < mean.length; i++) mean[i] /= s.batches();
                symmetrize(mean, d[m]);
                SymmetricEigen.Result e = SymmetricEigen.decompose(mean, d[m]);
                r[m] = SymmetricEigen.rankForEnergy(e.values(), s.energy());
                u[m] = new float[d[m] * r[m]];
                for (int i = 0; i < d[m]; i++) for (int j = 0; j < r[m]; j++) u[m][i * r[m] + j] = (float) e.vector(i, j);
                modes.add(new Mode(names[m], d[m], r[m], SymmetricEigen.energyKept(e.values(), r[m]), e.values()));
            }
            ConvBasis b = new ConvBasis(d[0], d[1], d[2], d[3], u[0], r[0], u[1], r[1], u[2], r[2], u[3], r[3]);
            out.put(node, new Layer(node, shapes.get(node), modes, b));
        }
        return out;
    }

    /**
     * Runs {@code batches} seeded, shuffled batches of the data through a graph in eval mode (its observers
     * gather the statistics), starting a new epoch when the data runs out.
     */
    static void forwardBatches(Graph g, Dataset data, Normalization norm, int batch, int batches, long seed, Listener l) {
        BatchLoader loader = new BatchLoader(data, norm, batch, true, BatchLoader.Augment.NONE, seed);
        for (int k = 0; k < batches; k++) {
            if (!loader.hasNext()) loader.startEpoch();
            loader.next();
            g.setInput(loader.images(), 0, loader.batchShape());
            g.forwardInference();
            if (l != null) l.batch(k + 1, batches);
        }
    }

    /** Float accumulation leaves the Gram a hair off symmetric; average it with its transpose (in place; returns it). */
    static double[] symmetrize(double[] a, int n) {
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                double v = (a[i * n + j] + a[j * n + i]) / 2;
                a[i * n + j] = v;
                a[j * n + i] = v;
            }
        }
        return a;
    }
}
