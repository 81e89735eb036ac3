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

    /** The clamp's upper bound: 6 for ReLU6, +∞ for ReLU. */
    public float cap() {
        return cap;
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
        boolean withMask = keeping() && keepsMask();
        if (withMask) ctx.held.reserve(mask, name);
        task.start(xs[0], y, withMask ? 1 : 0);
    }

    /** Backward writes every value of dX when it runs (dX = dy where the mask passes, else 0). */
    @Override
    public boolean canOverwriteInputGrad() {
        return keepsMask();
    }

    @Override
    public void backward(Tensor dy, Tensor[] dxs) {
        if (!keepsMask()) return;
        task.start(dy, dxs[0], 2);
        ctx.held.release(mask);
    }

    private final Split task = new Split();

    /** The element range of one part, in whole 32-element mask words so that parts never share a word. */
    private final class Split implements org.lance4j.kernel.Workers.Task {
        private Tensor a, b;
        private int mode;   // 0: clamp, 1: clamp keeping the mask, 2: masked backward

        void start(Tensor a, Tensor b, int mode) {
            this.a = a;
            this.b = b;
            this.mode = mode;
            ctx.parallel(this, a.size());
            this.a = this.b = null;
        }

        @Override
        public void run(int part, int parts) {
            int n = a.size(), words = (n + 31) >>> 5;
            int w0 = (int) ((long) words * part / parts), w1 = (int) ((long) words * (part + 1) / parts);
            int e0 = w0 << 5, e1 = Math.min(n, w1 << 5);
            if (e1 <= e0) return;
            switch (mode) {
                case 0 -> Elementwise.clamp(a.data, a.offset + e0, b.data, b.offset + e0, e1 - e0, cap);
                case 1 -> Elementwise.clampForward(a.data, a.offset + e0, b.data, b.offset + e0, e1 - e0, cap, mask.data, mask.offset + w0);
                default -> {
                    if (overwriteInputGrad) Elementwise.maskedScale(a.data, a.offset + e0, mask.data, mask.offset + w0, 1f, b.data, b.offset + e0, e1 - e0);
                    else Elementwise.maskedBackward(a.data, a.offset + e0, mask.data, mask.offset + w0, 1f, b.data, b.offset + e0, e1 - e0);
                }
            }
        }
    }

    @Override
    public String kind() {
        return cap == Float.POSITIVE_INFINITY ? "relu" : "relu6";
    }
}
