package org.lance4j.nn;

import org.lance4j.kernel.Elementwise;
import org.lance4j.tensor.IntView;
import org.lance4j.tensor.Tensor;

/**
 * Inverted dropout: in training mode each element is kept with probability 1 − p and scaled by
 * 1/(1 − p); identity in eval mode. Keeps a bit-packed mask. Draws come from the graph's seeded
 * generator, so a step is reproducible.
 */
public final class Dropout extends Layer {
    private final float p;
    private IntView mask;

    public Dropout(String name, float p) {
        super(name);
        this.p = p;
    }

    @Override
    protected void planned() {
        mask = new IntView(name + ".mask", IntView.wordsForBits(in[0].size()));
    }

    private boolean keepsMask() {
        return onPath && inputGrad[0] && ctx.training && p > 0f;
    }

    @Override
    public long heldInts() {
        return keepsMask() ? mask.length : 0;
    }

    @Override
    public void forward(Tensor y, Tensor[] xs) {
        Tensor x = xs[0];
        int n = x.size();
        if (!ctx.training || p == 0f) {
            y.copyFrom(x);
            return;
        }
        float scale = 1f / (1f - p);
        if (keeping() && keepsMask()) {
            ctx.held.reserve(mask, name);
            for (int wd = 0; wd < mask.length; wd++) {
                int word = 0;
                for (int bit = 0; bit < 32; bit++) if (ctx.nextFloat() >= p) word |= 1 << bit;
                mask.data[mask.offset + wd] = word;
            }
            Elementwise.maskedScale(x.data, x.offset, mask.data, mask.offset, scale, y.data, y.offset, n);
        } else {
            for (int e = 0; e < n; e++) y.data[y.offset + e] = ctx.nextFloat() >= p ? x.data[x.offset + e] * scale : 0f;
        }
    }

    @Override
    public void backward(Tensor dy, Tensor[] dxs) {
        Tensor dx = dxs[0];
        if (dx == null) return;
        if (!keepsMask()) {
            Elementwise.axpy(1f, dy.data, dy.offset, dx.data, dx.offset, dy.size());
            return;
        }
        Elementwise.maskedBackward(dy.data, dy.offset, mask.data, mask.offset, 1f / (1f - p), dx.data, dx.offset, dy.size());
        ctx.held.release(mask);
    }

    @Override
    public String kind() {
        return "dropout";
    }
}
