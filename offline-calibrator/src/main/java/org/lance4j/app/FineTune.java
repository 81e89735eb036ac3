package org.lance4j.app;

import org.lance4j.data.BatchLoader;
import org.lance4j.data.Dataset;
import org.lance4j.data.Normalization;
import org.lance4j.graph.Graph;
import org.lance4j.graph.LayerSpec;
import org.lance4j.graph.Model;
import org.lance4j.graph.ModelSpec;
import org.lance4j.graph.Param;
import org.lance4j.graph.TrainableRule;
import org.lance4j.train.SgdConfig;

/**
 * Fine-tuning a pretrained model on new data with a new head: the paper's recipe (SGD lr 0.05,
 * momentum 0.9, weight decay 1e-4, cosine to 0.01·lr, clipping at 2.0, BN in eval mode, the last N
 * convolutions with groups == 1 plus the head trained), with full backprop or a compressed store
 * (LANCE's fixed bases, ASI's refreshed ones, or HOSVD's per-step decomposition).
 */
public final class FineTune {
    /**
     * @param budgetBytes backward-held arena budget ({@link Long#MAX_VALUE}: none)
     * @param bases       bases by conv node (empty: full backprop)
     * @param subspaceIteration ASI (bases refreshed every step) rather than LANCE (fixed)
     * @param hosvdEnergy > 0: HOSVD with this energy (bases must be empty)
     * @param depthwise   also train the depthwise convolutions after the first chosen one (their stores as the method's)
     */
    public record Config(int layers, int epochs, int batch, long budgetBytes, long seed, java.util.Map<String, org.lance4j.compress.ConvBasis> bases,
                         boolean subspaceIteration, double hosvdEnergy, boolean depthwise) {
        public Config {
            if (layers < 0) throw new IllegalArgumentException("--layers must be ≥ 0, got " + layers);
            if (epochs < 1) throw new IllegalArgumentException("--epochs must be ≥ 1, got " + epochs);
        }

        /** The paper's selection: the last N convolutions with groups == 1 (plus the head). */
        public Config(int layers, int epochs, int batch, long budgetBytes, long seed, java.util.Map<String, org.lance4j.compress.ConvBasis> bases,
                      boolean subspaceIteration, double hosvdEnergy) {
            this(layers, epochs, batch, budgetBytes, seed, bases, subspaceIteration, hosvdEnergy, false);
        }

        public TrainableRule rule() {
            return depthwise ? TrainableRule.lastConvs(layers).withDepthwise() : TrainableRule.lastConvs(layers);
        }
    }

    /**
     * The result with both memory measures and the angle (degrees) between the method's weight gradient
     * and the exact one over the compressed layers, on a fixed probe batch at the final weights (0 for bp).
     */
    public record Result(Model model, Training.Result run, long paperBytes, long measuredPeakBytes, long plannedHeldBytes,
                         double gradientAngleDeg) {
        /** Multiply-adds of the last training step's kernels, forward and backward (element-wise work not counted). */
        public long macsForward() {
            return run.graph().macsForward();
        }

        public long macsBackward() {
            return run.graph().macsBackward();
        }
    }

    private FineTune() { }

    /**
     * A copy of the pretrained model whose head has {@code classes} outputs and fresh (seeded) weights;
     * every other tensor, running statistics included, is copied.
     */
    public static Model withNewHead(Model pre, int classes, long seed) {
        ModelSpec ps = pre.spec();
        String head = ps.output().name();
        if (!(ps.output().layer() instanceof LayerSpec.Linear lin)) {
            throw new IllegalArgumentException("the output of '" + ps.name() + "' is not a linear head");
        }
        java.util.List<ModelSpec.Node> nodes = new java.util.ArrayList<>(ps.nodes());
        nodes.set(nodes.size() - 1, new ModelSpec.Node(head, new LayerSpec.Linear(classes, lin.bias()), ps.output().inputs()));
        Model m = Model.initialized(new ModelSpec(ps.name(), ps.input(), nodes), seed);
        for (Param p : pre.params()) {
            if (!p.node().equals(head)) m.param(p.name()).value().copyFrom(p.value());
        }
        return m;
    }

    public static Result run(Model model, Dataset train, Dataset test, Normalization norm, Config c, Training.Listener l) {
        BatchLoader loader = new BatchLoader(train, norm, c.batch(), true, BatchLoader.Augment.NONE, c.seed());
        SgdConfig sgd = new SgdConfig(0.05f, 0.9f, 1e-4f, false, 2.0f, c.epochs() * loader.batchesPerEpoch(), 0.01f);
        Graph.Config gc = graphConfig(c);
        checkBudget(model, gc);
        Training.Result r = Training.fit(model, gc, sgd, loader, test, norm, c.epochs(), 500, l);
        // compressed methods: core + factors; HOSVD's ranks change every step, so the most one step held
        long paper = paperBytes(model, r.graph(), c);
        double angle = 0;
        if (!c.bases().isEmpty() || c.hosvdEnergy() > 0) {
            float[] x = new float[train.itemShape().size() * c.batch()];
            int[] y = new int[c.batch()];
            BatchLoader.fill(train, norm, 0, c.batch(), x, 0, y);
            // ASI: probe with the factors as training left them, not the random starting ones
            angle = gradientAngle(model, c.subspaceIteration() ? gc.withCompression(currentFactors(r.graph(), c.bases())) : gc, x, y);
        }
        return new Result(model, r, paper, r.peakBackwardBytes(), r.graph().plannedHeldBytes(), angle);
    }

    /**
     * Activation memory by the paper metric: bp counts each trained convolution's input in full, LANCE
     * and ASI their cores and factors, HOSVD the most core + factors one of its steps held — trained
     * convolutions only (the head is not counted, compressed or not).
     */
    public static long paperBytes(Model model, Graph g, Config c) {
        if (c.hosvdEnergy() > 0) {
            long paper = 0;
            for (String conv : trainedConvs(model, g)) paper += ((org.lance4j.nn.Conv2d) g.layer(conv)).compressedBytesMax();
            return paper;
        }
        if (c.bases().isEmpty()) return PaperMemory.bytes(model.spec(), c.batch(), trainedConvs(model, g));
        // convolutions only, as for bp: a compressed head (calibrate --head) shows in the measured peak
        java.util.Map<String, org.lance4j.compress.ConvBasis> convs = new java.util.LinkedHashMap<>(c.bases());
        convs.keySet().retainAll(trainedConvs(model, g));
        return PaperMemory.compressedBytes(convs);
    }

    /** The convolutions a graph trains (regular and depthwise), in definition order. */
    public static java.util.List<String> trainedConvs(Model model, Graph g) {
        java.util.List<String> out = new java.util.ArrayList<>();
        for (ModelSpec.Node n : model.spec().nodes()) {
            if (n.layer() instanceof LayerSpec.Conv && g.trainedNodes().contains(n.name())) out.add(n.name());
        }
        return out;
    }

    /** The factors a trained graph's compressed convolutions hold now, as bases. */
    static java.util.Map<String, org.lance4j.compress.ConvBasis> currentFactors(Graph g, java.util.Map<String, org.lance4j.compress.ConvBasis> start) {
        java.util.Map<String, org.lance4j.compress.ConvBasis> out = new java.util.LinkedHashMap<>();
        start.forEach((node, b) -> {
            org.lance4j.nn.Conv2d conv = (org.lance4j.nn.Conv2d) g.layer(node);
            org.lance4j.tensor.Tensor ub = conv.factor('B');
            out.put(node, new org.lance4j.compress.ConvBasis(b.b(), b.c(), b.h(), b.w(), ub == null ? null : ub.toArray(), ub == null ? 0 : b.rB(),
                    conv.factor('C').toArray(), b.rC(), conv.factor('H').toArray(), b.rH(), conv.factor('W').toArray(), b.rW()));
        });
        return out;
    }

    /**
     * Degrees between the weight gradients of the compressed layers computed with the config's
     * activation stores and computed exactly (full stores), on one batch at the current weights.
     */
    public static double gradientAngle(Model model, Graph.Config gc, float[] images, int[] labels) {
        Graph exact = Graph.plan(model, gc.uncompressed().withBudget(Long.MAX_VALUE));
        Graph approx = Graph.plan(model, gc.withBudget(Long.MAX_VALUE));
        double dot = 0, na = 0, nb = 0;
        for (Graph g : new Graph[] {exact, approx}) {
            g.setInput(images, 0, g.input().shape);
            g.zeroGrads();
            g.context().reseed(gc.seed());
            g.forwardTraining();
            g.lossAndGrad(labels, 0);
            g.backward();
        }
        for (org.lance4j.graph.Param p : exact.trainable()) {
            boolean compressed = gc.compression().containsKey(p.node())
                    || (gc.hosvdEnergy() > 0 && exact.layer(p.node()) instanceof org.lance4j.nn.Conv2d);
            if (!compressed) continue;
            org.lance4j.tensor.Tensor a = exact.gradOf(p), b = approx.gradOf(approx.trainable().stream()
                    .filter(q -> q.name().equals(p.name())).findFirst().orElseThrow());
            for (int i = 0; i < a.size(); i++) {
                double u = a.get(i), v = b.get(i);
                dot += u * v;
                na += u * u;
                nb += v * v;
            }
        }
        if (na == 0 || nb == 0) return 90;
        return Math.toDegrees(Math.acos(Math.max(-1, Math.min(1, dot / Math.sqrt(na * nb)))));
    }

    public static Graph.Config graphConfig(Config c) {
        Graph.Config g = Graph.Config.train(c.batch(), c.rule()).withFrozenBatchNorm()
                .withBudget(c.budgetBytes()).withSeed(c.seed()).withCompression(c.bases());
        if (c.hosvdEnergy() > 0) g = g.withHosvd(c.hosvdEnergy());
        return c.subspaceIteration() ? g.withSubspaceIteration() : g;
    }

    /**
     * Refuses, before any training, a configuration whose backward-held need exceeds the budget, with
     * each layer's need in the message. Plans the graph once to know the need exactly.
     */
    public static void checkBudget(Model model, Graph.Config gc) {
        if (gc.budgetBytes() == Long.MAX_VALUE) return;
        Graph g = Graph.plan(model, gc.withBudget(Long.MAX_VALUE));
        long need = g.plannedHeldBytes();
        if (need <= gc.budgetBytes()) return;
        StringBuilder sb = new StringBuilder(String.format(java.util.Locale.ROOT,
                "--budget %d bytes is too small: one training step holds %d bytes for backward:", gc.budgetBytes(), need));
        for (Graph.HeldNeed h : g.heldNeeds()) sb.append(String.format(java.util.Locale.ROOT, "%n  %-24s %-8s %,12d bytes", h.node(), h.kind(), h.bytes()));
        sb.append(System.lineSeparator()).append("raise --budget, train fewer --layers, use a smaller --batch or --method lance with a lower --energy");
        throw new IllegalArgumentException(sb.toString());
    }
}
