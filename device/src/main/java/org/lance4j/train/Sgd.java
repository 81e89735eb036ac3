package org.lance4j.train;

import java.util.List;
import org.lance4j.graph.Graph;
import org.lance4j.graph.Param;
import org.lance4j.kernel.Elementwise;
import org.lance4j.tensor.Arena;
import org.lance4j.tensor.Tensor;

/**
 * SGD with momentum, weight decay, global-norm clipping and a cosine schedule over the trained
 * parameters of one graph. Momentum buffers live in the optimizer-state arena, parallel to the
 * gradients. Deterministic: no randomness; the same gradients give the same update.
 */
public final class Sgd {
    private final Graph graph;
    private final SgdConfig cfg;
    private final List<Param> params;
    private final Tensor[] grads;
    private final Tensor[] momentum;   // parallel to params; same shapes
    private final Arena state = new Arena("optimizer state");
    private int tick;
    private boolean first = true;
    private float lastNorm;

    public Sgd(Graph graph, SgdConfig cfg) {
        this.graph = graph;
        this.cfg = cfg;
        this.params = graph.trainable();
        this.grads = new Tensor[params.size()];
        this.momentum = new Tensor[params.size()];
        for (int i = 0; i < params.size(); i++) {
            grads[i] = graph.gradOf(params.get(i));
            momentum[i] = cfg.momentum() != 0f ? state.allocate("m." + params.get(i).name(), params.get(i).value().shape) : null;
        }
        state.seal();
    }

    /** Clips, then updates every trained parameter at the current learning rate. */
    public void step() {
        float norm = (float) Math.sqrt(graph.gradSquaredNorm());
        lastNorm = norm;
        if (cfg.clipNorm() > 0f) {
            float coef = cfg.clipNorm() / (norm + 1e-6f);
            if (coef < 1f) graph.scaleGrads(coef);
        }
        float lr = learningRate();
        for (int i = 0; i < params.size(); i++) {
            Tensor p = params.get(i).value(), g = grads[i], m = momentum[i];
            Elementwise.sgd(p.data, p.offset, g.data, g.offset, m == null ? null : m.data, m == null ? 0 : m.offset,
                    p.size(), lr, cfg.momentum(), cfg.weightDecay(), cfg.nesterov(), first);
        }
        first = false;
    }

    /** Advances the cosine schedule by one tick (call per epoch or per step, as configured). */
    public void tickSchedule() {
        tick++;
    }

    public float learningRate() {
        return cfg.lrAt(tick);
    }

    /** Gradient norm before clipping at the last step. */
    public float lastGradNorm() {
        return lastNorm;
    }

    public long stateBytes() {
        return state.bytes();
    }
}
