package org.lance4j.nn;

import org.lance4j.kernel.Elementwise;
import org.lance4j.tensor.IntView;
import org.lance4j.tensor.Tensor;

/** ReLU (cap = +∞) and ReLU6 (cap = 6). Keeps a bit-packed mask of where the gradient passes. */
public final class Activation extends Layer {
    private final float cap;
    private IntView mask; // ⌈(B·…)/32⌉ words

    public Activation(String name, float cap) {
        super(name);
        this.cap = cap;
    }

    @Override
    protected void planned() {
        mask = new IntView(name + ".mask", IntView.wordsForBits(in[0].size()));
    }

    private boolean keepsMask() {
        return onPath && inputGrad[0];
    }

    @Override
    public long heldInts() {
        return keepsMask() ? mask.length : 0;
    }

    @Override
    public void forward(Tensor y, Tensor[] xs) {
        Tensor x = xs[0];
        if (keeping() && keepsMask()) {
            ctx.held.reserve(mask, name);
            Elementwise.clampForward(x.data, x.offset, y.data, y.offset, x.size(), cap, mask.data, mask.offset);
        } else {
            Elementwise.clamp(x.data, x.offset, y.data, y.offset, x.size(), cap);
        }
    }

    @Override
    public void backward(Tensor dy, Tensor[] dxs) {
        if (!keepsMask()) return;
        Elementwise.maskedBackward(dy.data, dy.offset, mask.data, mask.offset, 1f, dxs[0].data, dxs[0].offset, dy.size());
        ctx.held.release(mask);
    }

    @Override
    public String kind() {
        return cap == Float.POSITIVE_INFINITY ? "relu" : "relu6";
    }
}
