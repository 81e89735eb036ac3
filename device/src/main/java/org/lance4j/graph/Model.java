package org.lance4j.graph;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.lance4j.tensor.Arena;
import org.lance4j.tensor.Shape;
import org.lance4j.tensor.ShapeMismatchException;
import org.lance4j.tensor.Tensor;

/**
 * An architecture with its parameters: the spec and one parameter arena holding every weight, bias
 * and running statistic, in definition order. Planned graphs ({@link Graph#plan}) bind to these
 * tensors, so training updates the model in place and any number of graphs (a training graph, an
 * evaluation graph with another batch size) share one set of weights.
 */
public final class Model {
    private final ModelSpec spec;
    private final Arena params = new Arena("parameters");
    private final Map<String, Param> byName = new LinkedHashMap<>();

    public Model(ModelSpec spec) {
        this.spec = spec;
        for (ModelSpec.Node n : spec.nodes()) {
            for (LayerSpec.ParamDecl d : n.layer().params(spec.inputShapes(n))) {
                String pn = n.name() + "." + d.suffix();
                byName.put(pn, new Param(pn, n.name(), d.kind(), params.allocate(pn, d.shape()), d.fanIn()));
            }
        }
        params.seal();
    }

    /** A model with PyTorch's default initialization, seeded. */
    public static Model initialized(ModelSpec spec, long seed) {
        Model m = new Model(spec);
        m.initialize(seed);
        return m;
    }

    /**
     * PyTorch's defaults: conv and linear weights and biases U(−1/√fanIn, 1/√fanIn) (kaiming_uniform
     * with a = √5), BN γ = 1, β = 0, running mean 0, running variance 1.
     */
    public void initialize(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        for (Param p : byName.values()) {
            Tensor t = p.value();
            switch (p.kind()) {
                case WEIGHT, BIAS -> {
                    double bound = 1.0 / Math.sqrt(p.fanIn());
                    for (int i = 0; i < t.size(); i++) t.set(i, (float) ((rnd.nextDouble() * 2 - 1) * bound));
                }
                case BN_WEIGHT, RUNNING_VAR -> t.fill(1f);
                case BN_BIAS, RUNNING_MEAN -> t.fill(0f);
            }
        }
    }

    /** A deep copy: the same spec and every value (continual-learning methods start from one trained first task). */
    public Model copy() {
        Model m = new Model(spec);
        System.arraycopy(storage(), 0, m.storage(), 0, storage().length);
        return m;
    }

    public ModelSpec spec() {
        return spec;
    }

    public Param param(String name) {
        Param p = byName.get(name);
        if (p == null) throw new IllegalArgumentException("model '" + spec.name() + "' has no parameter '" + name + "'");
        return p;
    }

    public Param paramOrNull(String name) {
        return byName.get(name);
    }

    public List<Param> params() {
        return Collections.unmodifiableList(new ArrayList<>(byName.values()));
    }

    /** Trainable-kind parameters (weights, biases, BN affine), without running statistics. */
    public long parameterCount() {
        long n = 0;
        for (Param p : byName.values()) if (p.trainableKind()) n += p.value().size();
        return n;
    }

    /** Copies a tensor in by name, checking the shape. */
    public void load(String name, Shape shape, float[] data) {
        Param p = param(name);
        if (!p.value().shape.equals(shape)) {
            throw new ShapeMismatchException("parameter " + name + " is " + p.value().shape + " in model '" + spec.name()
                    + "' but the source has " + shape);
        }
        p.value().copyFrom(data, 0);
    }

    /** The parameter arena's storage, for checkpoints and fingerprints. */
    public float[] storage() {
        return params.floats();
    }
}
