package org.lance4j.graph;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import org.lance4j.kernel.Reduce;
import org.lance4j.kernel.SoftmaxCrossEntropy;
import org.lance4j.nn.Activation;
import org.lance4j.nn.Add;
import org.lance4j.nn.BatchNorm2d;
import org.lance4j.nn.Conv2d;
import org.lance4j.nn.Dropout;
import org.lance4j.nn.Flatten;
import org.lance4j.nn.GlobalAvgPool;
import org.lance4j.nn.Layer;
import org.lance4j.nn.Linear;
import org.lance4j.nn.Pool2d;
import org.lance4j.nn.StepContext;
import org.lance4j.tensor.Arena;
import org.lance4j.tensor.BackwardArena;
import org.lance4j.tensor.IntervalPlanner;
import org.lance4j.tensor.Shape;
import org.lance4j.tensor.ShapeMismatchException;
import org.lance4j.tensor.Tensor;

/**
 * A model planned for one batch size and one trainable set: the runtime layers, every buffer, and the
 * order of work. Memory is owned up front (llm.c style): the forward scratch arena holds activations
 * and their gradients placed by lifetime ({@link IntervalPlanner}), the gradient arena holds parameter
 * gradients (contiguous, so clipping is one reduction), and the {@link BackwardArena} holds what
 * forward keeps for backward. A step allocates nothing.
 *
 * <p>Backward path: a node is on it when it has trained parameters or reads a node that is. Nodes
 * before the first trained node run forward only and keep nothing; frozen nodes after it pass
 * gradients through but do no weight-gradient work (a frozen convolution keeps nothing at all).
 *
 * <p>Values are indexed 0 = input, i + 1 = output of node i.
 */
public final class Graph {

    /**
     * @param batch           B, fixed for the life of the graph
     * @param rule            which parameters are trained
     * @param training        PyTorch train mode: BN batch statistics, dropout active
     * @param freezeBatchNorm BN uses its running statistics even in train mode (the fine-tuning recipe)
     * @param budgetBytes     byte budget of the backward-held arena
     * @param seed            dropout generator seed
     * @param reuseScratch    place activations by lifetime (false gives every buffer its own memory;
     *                        for tests that poison dead activations)
     * @param inputGradient   also compute the gradient of the input (gradient checks, attribution)
     * @param output          the node whose output is the graph's output (null: the last node); nodes it
     *                        does not depend on (other tasks' heads) are not run, planned or trained
     * @param compression     bases by conv or linear node name (empty: every trained layer keeps its input in full)
     * @param subspaceIteration the bases are ASI's: refreshed from every batch by one subspace iteration
     *                        (false: LANCE's, fixed)
     * @param hosvdEnergy     &gt; 0: HOSVD — every trained convolution without a basis decomposes each mode of
     *                        every batch and keeps ranks by this energy (0: off)
     * @param workers         kernel threads (null: the planning thread's default, {@link org.lance4j.kernel.Workers#ofThisThread},
     *                        else the caller's thread only); kernels split over output tiles, the result identical
     *                        for any thread count
     */
    public record Config(int batch, TrainableRule rule, boolean training, boolean freezeBatchNorm, long budgetBytes,
                         long seed, boolean reuseScratch, boolean inputGradient, String output,
                         java.util.Map<String, org.lance4j.compress.ConvBasis> compression, boolean subspaceIteration, double hosvdEnergy,
                         org.lance4j.kernel.Workers workers) {
        public Config {
            if (batch < 1) throw new IllegalArgumentException("--batch must be ≥ 1, got " + batch);
            compression = compression == null ? java.util.Map.of() : java.util.Map.copyOf(compression);
            if (budgetBytes <= 0) throw new IllegalArgumentException("--budget must be positive, got " + budgetBytes);
        }

        /** Training with full backprop of every parameter and no budget (pretraining). */
        public static Config train(int batch, TrainableRule rule) {
            return new Config(batch, rule, true, false, Long.MAX_VALUE, 233, true, false, null, java.util.Map.of(), false, 0, null);
        }

        /** Inference only. */
        public static Config inference(int batch) {
            return new Config(batch, TrainableRule.none(), false, false, Long.MAX_VALUE, 0, true, false, null, java.util.Map.of(), false, 0, null);
        }

        public Config withBudget(long bytes) {
            return new Config(batch, rule, training, freezeBatchNorm, bytes, seed, reuseScratch, inputGradient, output, compression, subspaceIteration, hosvdEnergy, workers);
        }

        public Config withFrozenBatchNorm() {
            return new Config(batch, rule, training, true, budgetBytes, seed, reuseScratch, inputGradient, output, compression, subspaceIteration, hosvdEnergy, workers);
        }

        public Config withoutScratchReuse() {
            return new Config(batch, rule, training, freezeBatchNorm, budgetBytes, seed, false, inputGradient, output, compression, subspaceIteration, hosvdEnergy, workers);
        }

        public Config withInputGradient() {
            return new Config(batch, rule, training, freezeBatchNorm, budgetBytes, seed, reuseScratch, true, output, compression, subspaceIteration, hosvdEnergy, workers);
        }

        public Config withSeed(long s) {
            return new Config(batch, rule, training, freezeBatchNorm, budgetBytes, s, reuseScratch, inputGradient, output, compression, subspaceIteration, hosvdEnergy, workers);
        }

        /** LANCE: keep cores with these fixed bases instead of full inputs, by conv node name. */
        public Config withCompression(java.util.Map<String, org.lance4j.compress.ConvBasis> bases) {
            return new Config(batch, rule, training, freezeBatchNorm, budgetBytes, seed, reuseScratch, inputGradient, output, bases, subspaceIteration, hosvdEnergy, workers);
        }

        /** ASI: the bases are starting points refreshed every training step (fixed ranks). */
        public Config withSubspaceIteration() {
            return new Config(batch, rule, training, freezeBatchNorm, budgetBytes, seed, reuseScratch, inputGradient, output, compression, true, hosvdEnergy, workers);
        }

        /** HOSVD: decompose every mode of every batch, ranks by this energy. */
        public Config withHosvd(double energy) {
            if (!(energy > 0 && energy <= 1)) throw new IllegalArgumentException("--energy must be in (0, 1], got " + energy);
            return new Config(batch, rule, training, freezeBatchNorm, budgetBytes, seed, reuseScratch, inputGradient, output, compression,
                    subspaceIteration, energy, workers);
        }

        /** The same settings with every trained layer keeping its input in full (the exact gradient). */
        public Config uncompressed() {
            return new Config(batch, rule, training, freezeBatchNorm, budgetBytes, seed, reuseScratch, inputGradient, output, java.util.Map.of(),
                    false, 0, workers);
        }

        /** Which node is the output (a task's head in a multi-head network). */
        public Config withOutput(String node) {
            return new Config(batch, rule, training, freezeBatchNorm, budgetBytes, seed, reuseScratch, inputGradient, node, compression, subspaceIteration, hosvdEnergy, workers);
        }

        /** Kernel threads for this graph's steps (null or one thread: the caller's only). One graph steps at a time per pool. */
        public Config withWorkers(org.lance4j.kernel.Workers w) {
            return new Config(batch, rule, training, freezeBatchNorm, budgetBytes, seed, reuseScratch, inputGradient, output, compression, subspaceIteration, hosvdEnergy, w);
        }

        public Config withBatch(int b) {
            return new Config(b, rule, training, freezeBatchNorm, budgetBytes, seed, reuseScratch, inputGradient, output, compression, subspaceIteration, hosvdEnergy, workers);
        }
    }

    /** What one layer keeps for backward, for reports and budget messages. */
    public record HeldNeed(String node, String kind, long bytes) { }

    private final Model model;
    private final Config cfg;
    private final ModelSpec spec;
    private final Layer[] layers;              // per node
    private final int[][] inputs;              // per node: value indices read
    private final Tensor[] values;             // per value: (B, ...)
    private final Tensor[] dvalues;            // per value: (B, ...) or null when no gradient flows there
    private final boolean[] onPath;            // per value (0 = input: never)
    private final int[][] zeroBefore;          // per node: gradient values to zero before its backward
    private final Tensor[][] xs, dxs;          // per node: argument arrays handed to layers (no allocation)
    private final List<Param> trainable = new ArrayList<>();
    private final Tensor[] paramGrads;         // parallel to trainable
    private final Arena scratch = new Arena("forward scratch");
    private final Arena gradArena = new Arena("gradients");
    private final BackwardArena held;
    private final StepContext ctx;
    private final Set<String> trainedNodes;
    private java.util.function.Consumer<Tensor>[] observers;   // per node, or null
    /**
     * Per node: a BN whose output only the ReLU/ReLU6 right after it reads. When the BN runs on its running statistics
     * and neither node is on the backward path (a fine-tuned network's frozen prefix, inference), the two run as one pass
     * ({@link BatchNorm2d#forwardWithActivation}): the BN's output is never written, the activation's is, the same bits.
     */
    private final boolean[] fusesActivation;
    private int fusedLastForward;
    /**
     * Per node: an ungrouped or depthwise convolution without bias ({@link Conv2d#canFuseEpilogue}) whose output only a
     * {@link #fusesActivation} BN reads, and whose input's storage the activation's output does not share. When that
     * pair fuses in a forward and nothing observes the BN's input, the three run as one: the convolution applies the BN's
     * running affine map and the activation to each image's output while it is in cache and writes the activation's
     * output ({@link Conv2d#forwardWithEpilogue}) — the BN's and the activation's passes over memory disappear; the
     * same bits. Null where none; else the BN's (scale, shift), filled per forward.
     */
    private final float[][][] fusesConv;
    private int fusedConvsLastForward;

    private Graph(Model model, Config cfg) {
        this.model = model;
        this.cfg = cfg;
        this.spec = model.spec();
        List<ModelSpec.Node> nodes = activeNodes(spec, cfg.output);
        int n = nodes.size();
        this.held = new BackwardArena(cfg.budgetBytes);
        this.ctx = new StepContext(held, cfg.seed);
        ctx.workers = cfg.workers != null ? cfg.workers : org.lance4j.kernel.Workers.ofThisThread();
        ctx.training = cfg.training;
        ctx.freezeBatchNorm = cfg.freezeBatchNorm;
        Set<String> selected = new java.util.LinkedHashSet<>(cfg.rule.select(spec));
        selected.retainAll(nodes.stream().map(ModelSpec.Node::name).toList());
        this.trainedNodes = Collections.unmodifiableSet(selected);

        // value indices and shapes
        java.util.Map<String, Integer> index = new java.util.HashMap<>();
        index.put(ModelSpec.INPUT, 0);
        Shape[] shapes = new Shape[n + 1];
        shapes[0] = spec.input().withBatchPrefix(cfg.batch);
        inputs = new int[n][];
        for (int i = 0; i < n; i++) {
            ModelSpec.Node node = nodes.get(i);
            index.put(node.name(), i + 1);
            shapes[i + 1] = spec.shape(node.name()).withBatchPrefix(cfg.batch);
            inputs[i] = node.inputs().stream().mapToInt(index::get).toArray();
        }

        // trainable parameters and the backward path
        onPath = new boolean[n + 1];
        onPath[0] = cfg.inputGradient;
        boolean[] trains = new boolean[n];
        for (int i = 0; i < n; i++) {
            trains[i] = trainedNodes.contains(nodes.get(i).name());
            boolean p = trains[i];
            for (int v : inputs[i]) p |= onPath[v];
            onPath[i + 1] = p;
        }
        List<Tensor> grads = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (!trains[i]) continue;
            for (Param p : model.params()) {
                if (p.node().equals(nodes.get(i).name()) && p.trainableKind()) {
                    trainable.add(p);
                    grads.add(gradArena.allocate("d" + p.name(), p.value().shape));
                }
            }
        }
        paramGrads = grads.toArray(new Tensor[0]);
        gradArena.seal();

        // runtime layers
        layers = new Layer[n];
        long heldF = 0, heldI = 0, ws = 0, residentF = 0;
        for (String nm : cfg.compression().keySet()) {
            boolean conv = nodes.stream().anyMatch(x -> x.name().equals(nm) && x.layer() instanceof LayerSpec.Conv);
            boolean linear = nodes.stream().anyMatch(x -> x.name().equals(nm) && x.layer() instanceof LayerSpec.Linear);
            if (!conv && !linear) {
                throw new IllegalArgumentException("a LANCE basis names '" + nm + "', which is not a convolution or linear layer of this graph");
            }
            if (linear && cfg.subspaceIteration()) {
                throw new IllegalArgumentException("a basis names the linear layer '" + nm + "', but ASI compresses convolutions only; "
                        + "calibrate --method asi without --head");
            }
        }
        for (int i = 0; i < n; i++) {
            ModelSpec.Node node = nodes.get(i);
            layers[i] = build(node, trains[i]);
            Shape[] in = new Shape[inputs[i].length];
            boolean[] needIn = new boolean[in.length];
            for (int j = 0; j < in.length; j++) {
                in[j] = shapes[inputs[i][j]];
                needIn[j] = onPath[inputs[i][j]];
            }
            layers[i].plan(in, shapes[i + 1], onPath[i + 1], trains[i], needIn, ctx);
            heldF += layers[i].heldFloats();
            heldI += layers[i].heldInts();
            residentF += layers[i].residentFloats();
            ws = Math.max(ws, layers[i].workspaceFloats());
        }
        for (Layer l : layers) l.workspaceGranted(ws);
        held.ensureCapacity(heldF + residentF, heldI);
        for (Layer l : layers) l.bindResident();

        // scratch: activations and their gradients by lifetime. Steps: forward of node i at i + 1,
        // loss at n + 1, backward of node i at 2n + 1 − i.
        int[] lastUse = new int[n + 1];
        int[] maxConsumer = new int[n + 1];
        Arrays.fill(maxConsumer, -1);
        for (int i = 0; i < n; i++) {
            for (int v : inputs[i]) {
                lastUse[v] = Math.max(lastUse[v], i + 1);
                maxConsumer[v] = Math.max(maxConsumer[v], i);
            }
        }
        int end = 2 * n + 2;
        IntervalPlanner planner = new IntervalPlanner();
        int[] valueReq = new int[n + 1];
        int[] gradReq = new int[n + 1];
        for (int v = 0; v <= n; v++) {
            // input and output live for the whole step: callers write the one and read the other
            int last = v == n || v == 0 ? end : Math.max(lastUse[v], v);
            valueReq[v] = cfg.reuseScratch ? planner.add(shapes[v].size(), v, last) : planner.add(shapes[v].size(), 0, end);
            gradReq[v] = -1;
            if (onPath[v]) {
                int first = v == n ? n + 1 : maxConsumer[v] >= 0 ? 2 * n + 1 - maxConsumer[v] : 2 * n + 2 - v;
                gradReq[v] = cfg.reuseScratch ? planner.add(shapes[v].size(), first, 2 * n + 2 - v) : planner.add(shapes[v].size(), 0, end);
            }
        }
        planner.solve();
        values = new Tensor[n + 1];
        dvalues = new Tensor[n + 1];
        for (int v = 0; v <= n; v++) {
            String nm = v == 0 ? ModelSpec.INPUT : nodes.get(v - 1).name();
            values[v] = scratch.allocateAt(nm, shapes[v], planner.offset(valueReq[v]));
            if (gradReq[v] >= 0) dvalues[v] = scratch.allocateAt("d" + nm, shapes[v], planner.offset(gradReq[v]));
        }
        ctx.workspace = ws > 0 ? scratch.allocateAt("workspace", Shape.of((int) ws), planner.total()) : null;
        scratch.seal();

        // BN + activation pairs that may run as one pass (whether they do is decided per forward: mode, path, observers)
        fusesActivation = new boolean[n];
        int[] consumers = new int[n + 1];
        for (int i = 0; i < n; i++) for (int v : inputs[i]) consumers[v]++;
        for (int i = 0; i + 1 < n; i++) {
            fusesActivation[i] = layers[i] instanceof BatchNorm2d && layers[i + 1] instanceof Activation
                    && inputs[i + 1].length == 1 && inputs[i + 1][0] == i + 1 && consumers[i + 1] == 1;
        }
        fusesConv = new float[n][][];
        for (int i = 0; i + 2 < n; i++) {
            if (layers[i] instanceof Conv2d conv && conv.canFuseEpilogue() && fusesActivation[i + 1]
                    && inputs[i + 1].length == 1 && inputs[i + 1][0] == i + 1 && consumers[i + 1] == 1
                    && !overlap(values[inputs[i][0]], values[i + 3])) {
                int ch = ((BatchNorm2d) layers[i + 1]).channels();
                fusesConv[i] = new float[][] {new float[ch], new float[ch]};
            }
        }

        // which gradient buffers each node zeroes before its backward (it is their first writer)
        zeroBefore = new int[n][];
        xs = new Tensor[n][];
        dxs = new Tensor[n][];
        for (int i = 0; i < n; i++) {
            List<Integer> z = new ArrayList<>();
            for (int v : inputs[i]) {
                if (!onPath[v] || maxConsumer[v] != i || z.contains(v)) continue;
                // a single-input layer that writes all of its dX overwrites the buffer instead (no zeroing pass)
                if (inputs[i].length == 1 && layers[i].canOverwriteInputGrad()) layers[i].overwriteInputGrad();
                else z.add(v);
            }
            if (onPath[i + 1] && maxConsumer[i + 1] < 0 && i + 1 != n) z.add(i + 1);
            zeroBefore[i] = z.stream().mapToInt(Integer::intValue).toArray();
            xs[i] = new Tensor[inputs[i].length];
            dxs[i] = new Tensor[inputs[i].length];
            for (int j = 0; j < inputs[i].length; j++) {
                xs[i][j] = values[inputs[i][j]];
                dxs[i][j] = dvalues[inputs[i][j]];
            }
        }
    }

    /** The output node and the nodes it depends on, in definition order (all nodes when output is null). */
    static List<ModelSpec.Node> activeNodes(ModelSpec spec, String output) {
        if (output == null) return spec.nodes();
        spec.shape(output); // refuses an unknown name
        Set<String> need = new java.util.HashSet<>();
        need.add(output);
        List<ModelSpec.Node> all = spec.nodes();
        for (int i = all.size() - 1; i >= 0; i--) {
            if (need.contains(all.get(i).name())) need.addAll(all.get(i).inputs());
        }
        List<ModelSpec.Node> out = new ArrayList<>();
        for (ModelSpec.Node nd : all) {
            if (need.contains(nd.name())) out.add(nd);
            if (nd.name().equals(output)) break;
        }
        return out;
    }

    public static Graph plan(Model model, Config cfg) {
        return new Graph(model, cfg);
    }

    /** The same model and settings for another batch size: an explicit re-plan, never a silent one. */
    public Graph replan(int batch) {
        return new Graph(model, cfg.withBatch(batch));
    }

    private Layer build(ModelSpec.Node node, boolean train) {
        String nm = node.name();
        LayerSpec l = node.layer();
        if (l instanceof LayerSpec.Conv c) {
            return new Conv2d(nm, c.out(), c.k(), c.stride(), c.pad(), c.groups(), value(nm, "weight"), value(nm, "bias"),
                    grad(nm, "weight", train), grad(nm, "bias", train), cfg.compression().get(nm), cfg.subspaceIteration(),
                    c.groups() == 1 || c.isDepthwise(spec.shape(node.inputs().get(0)).dim(0)) ? cfg.hosvdEnergy() : 0);
        } else if (l instanceof LayerSpec.BatchNorm b) {
            return new BatchNorm2d(nm, b.eps(), b.momentum(), b.trackRunningStats(), value(nm, "weight"), value(nm, "bias"),
                    grad(nm, "weight", train), grad(nm, "bias", train), value(nm, "running_mean"), value(nm, "running_var"));
        } else if (l instanceof LayerSpec.Relu) {
            return new Activation(nm, Float.POSITIVE_INFINITY);
        } else if (l instanceof LayerSpec.Relu6) {
            return new Activation(nm, 6f);
        } else if (l instanceof LayerSpec.Add) {
            return new Add(nm);
        } else if (l instanceof LayerSpec.MaxPool p) {
            return new Pool2d(nm, true, p.k(), p.stride(), p.pad());
        } else if (l instanceof LayerSpec.AvgPool p) {
            return new Pool2d(nm, false, p.k(), p.stride(), p.pad());
        } else if (l instanceof LayerSpec.GlobalAvgPool) {
            return new GlobalAvgPool(nm);
        } else if (l instanceof LayerSpec.Flatten) {
            return new Flatten(nm);
        } else if (l instanceof LayerSpec.Linear lin) {
            return new Linear(nm, lin.out(), value(nm, "weight"), value(nm, "bias"), grad(nm, "weight", train), grad(nm, "bias", train),
                    cfg.compression().get(nm));
        } else if (l instanceof LayerSpec.Dropout d) {
            return new Dropout(nm, d.p());
        }
        throw new IllegalStateException("no runtime layer for " + l);
    }

    private Tensor value(String node, String suffix) {
        Param p = model.paramOrNull(node + "." + suffix);
        return p == null ? null : p.value();
    }

    private Tensor grad(String node, String suffix, boolean train) {
        if (!train) return null;
        Param p = model.paramOrNull(node + "." + suffix);
        return p == null ? null : gradOf(p);
    }

    // ---------------------------------------------------------------- running

    /** The input buffer (B, C, H, W); fill it, then call a forward method. */
    public Tensor input() {
        return values[0];
    }

    /** Copies a batch in, refusing any shape other than the planned one. */
    public void setInput(float[] src, int off, Shape shape) {
        if (!shape.equals(values[0].shape)) {
            throw new ShapeMismatchException("graph of '" + spec.name() + "' was planned for input " + values[0].shape
                    + " but got " + shape + "; shapes are fixed at planning — call replan(" + shape.dim(0)
                    + ") for another batch size");
        }
        values[0].copyFrom(src, off);
    }

    /** The output buffer (B, classes), valid after a forward pass until the next one. */
    public Tensor output() {
        return values[values.length - 1];
    }

    /** Multiply-adds of the kernels in the last forward pass (counted at each kernel call). */
    public long macsForward() {
        return ctx.macsForward;
    }

    /** Multiply-adds of the kernels in the last backward pass. */
    public long macsBackward() {
        return ctx.macsBackward;
    }

    /** Gradient of the loss with respect to the output (B, classes); written by {@link #lossAndGrad}. */
    public Tensor outputGrad() {
        return dvalues[dvalues.length - 1];
    }

    /** Gradient with respect to the input, after backward (needs {@link Config#inputGradient}). */
    public Tensor inputGrad() {
        if (dvalues[0] == null) throw new IllegalStateException("plan the graph with inputGradient to get the input gradient");
        return dvalues[0];
    }

    /** Forward in training mode, keeping what backward needs. Starts a new step (drops held state). */
    public void forwardTraining() {
        held.clear();
        ctx.macsForward = 0;
        ctx.macsBackward = 0;
        ctx.inBackward = false;
        ctx.training = cfg.training;
        ctx.recording = true;
        runForward();
    }

    /** Forward in eval mode (running BN statistics, no dropout), keeping nothing. */
    public void forwardInference() {
        held.clear();
        ctx.macsForward = 0;
        ctx.macsBackward = 0;
        ctx.inBackward = false;
        ctx.training = false;
        ctx.recording = false;
        runForward();
    }

    private void runForward() {
        int fused = 0, fusedConvs = 0;
        for (int i = 0; i < layers.length; i++) {
            if (observers != null && observers[i] != null) observers[i].accept(xs[i][0]);
            if (fusesConv[i] != null && fusesNow(i + 1) && (observers == null || observers[i + 1] == null)) {
                float[] scale = fusesConv[i][0], shift = fusesConv[i][1];
                ((BatchNorm2d) layers[i + 1]).runningAffine(scale, shift);
                ((Conv2d) layers[i]).forwardWithEpilogue(values[i + 3], xs[i], scale, shift, ((Activation) layers[i + 2]).cap());
                i += 2;   // the BN's and the activation's forwards are done
                fused++;
                fusedConvs++;
                continue;
            }
            if (fusesActivation[i] && fusesNow(i)) {
                ((BatchNorm2d) layers[i]).forwardWithActivation(values[i + 2], xs[i][0], ((Activation) layers[i + 1]).cap());
                i++;   // the activation's forward is done
                fused++;
                continue;
            }
            layers[i].forward(values[i + 1], xs[i]);
        }
        fusedLastForward = fused;
        fusedConvsLastForward = fusedConvs;
    }

    /** Whether two tensors share storage. */
    private static boolean overlap(Tensor a, Tensor b) {
        return a.data == b.data && a.offset < b.offset + b.shape.size() && b.offset < a.offset + a.shape.size();
    }

    /** Whether BN node i and its activation run as one pass in this forward (see {@link #fusesActivation}). */
    private boolean fusesNow(int i) {
        return ((BatchNorm2d) layers[i]).usesRunningStats() && !(ctx.recording && onPath[i + 2])
                && (observers == null || observers[i + 1] == null);
    }

    /** BN + activation pairs the last forward ran as one pass each (for tests and reports), those in a convolution's epilogue included. */
    public int fusedActivationsLastForward() {
        return fusedLastForward;
    }

    /** Convolution + BN + activation triples the last forward ran as one ({@link #fusesConv}; for tests and reports). */
    public int fusedConvolutionsLastForward() {
        return fusedConvsLastForward;
    }

    /**
     * Calls {@code onInput} with a node's (first) input every time the node runs forward — what
     * calibration gathers statistics from. The tensor is valid only during the call. An activation observed this
     * way no longer runs fused with the BN before it (its input must then exist).
     */
    @SuppressWarnings("unchecked")
    public void observeInput(String node, java.util.function.Consumer<Tensor> onInput) {
        if (observers == null) observers = new java.util.function.Consumer[layers.length];
        for (int i = 0; i < layers.length; i++) {
            if (layers[i].name.equals(node)) {
                observers[i] = onInput;
                return;
            }
        }
        throw new IllegalArgumentException("graph has no node '" + node + "'");
    }

    /** Mean softmax cross-entropy of the output against labels[off .. off+B); writes the output gradient. */
    public double lossAndGrad(int[] labels, int off) {
        Tensor out = output();
        if (out.shape.rank() != 2) throw new IllegalStateException("the output of '" + spec.name() + "' is " + out.shape + ", not (B, classes)");
        Tensor d = dvalues[dvalues.length - 1];
        return SoftmaxCrossEntropy.forwardBackward(out.data, out.offset, cfg.batch, out.shape.dim(1), labels, off,
                d == null ? null : d.data, d == null ? 0 : d.offset);
    }

    /** Backward over the backward path in reverse order; adds into parameter gradients. */
    public void backward() {
        if (!ctx.recording) throw new IllegalStateException("backward() needs a forwardTraining() first");
        ctx.inBackward = true;
        for (int i = layers.length - 1; i >= 0; i--) {
            if (!onPath[i + 1]) continue;
            for (int v : zeroBefore[i]) ctx.zero(dvalues[v].data, dvalues[v].offset, dvalues[v].shape.size());
            layers[i].backward(dvalues[i + 1], dxs[i]);
        }
        ctx.inBackward = false;
        ctx.recording = false;
    }

    /** Sets every parameter gradient to zero (one fill: they are contiguous). */
    public void zeroGrads() {
        if (gradArena.floats().length > 0) ctx.zero(gradArena.floats(), 0, gradArena.floats().length);
    }

    /** Σ g² over all parameter gradients, for global-norm clipping. */
    public double gradSquaredNorm() {
        float[] g = gradArena.floats();
        return g.length == 0 ? 0 : Reduce.sumSqDiff(g, 0, g.length, 0f);
    }

    /** Scales all parameter gradients. */
    public void scaleGrads(float s) {
        float[] g = gradArena.floats();
        if (g.length > 0) org.lance4j.kernel.Elementwise.scale(g, 0, g.length, s);
    }

    // ---------------------------------------------------------------- introspection

    public Tensor gradOf(Param p) {
        int i = trainable.indexOf(p);
        if (i < 0) throw new IllegalArgumentException(p.name() + " is not trained in this graph");
        return paramGrads[i];
    }

    public List<Param> trainable() {
        return Collections.unmodifiableList(trainable);
    }

    public Set<String> trainedNodes() {
        return trainedNodes;
    }

    public Model model() {
        return model;
    }

    public Config config() {
        return cfg;
    }

    public BackwardArena held() {
        return held;
    }

    public StepContext context() {
        return ctx;
    }

    /** Per layer: bytes kept for backward in one training step, resident bases included (only layers that keep something). */
    public List<HeldNeed> heldNeeds() {
        List<HeldNeed> out = new ArrayList<>();
        for (Layer l : layers) {
            long b = 4 * (l.heldFloats() + l.heldInts() + l.residentFloats());
            if (b > 0) out.add(new HeldNeed(l.name, l.kind(), b));
        }
        return out;
    }

    /** Bytes the backward-held arena needs for one step: the planned peak. */
    public long plannedHeldBytes() {
        long b = 0;
        for (HeldNeed h : heldNeeds()) b += h.bytes;
        return b;
    }

    public long scratchBytes() {
        return scratch.bytes();
    }

    /** The runtime layer of a node (tests and tools inspect stores through it). */
    public Layer layer(String node) {
        for (Layer l : layers) if (l.name.equals(node)) return l;
        throw new IllegalArgumentException("no node " + node);
    }

    /** Whether a node runs backward. */
    public boolean onBackwardPath(String node) {
        for (int i = 0; i < layers.length; i++) if (layers[i].name.equals(node)) return onPath[i + 1];
        throw new IllegalArgumentException("no node " + node);
    }

    /** For tests: every activation buffer except input and output, set to NaN (needs reuseScratch = false). */
    public void poisonActivations() {
        if (cfg.reuseScratch) throw new IllegalStateException("poisoning needs a graph planned without scratch reuse");
        for (int v = 1; v < values.length - 1; v++) values[v].fill(Float.NaN);
    }
}
