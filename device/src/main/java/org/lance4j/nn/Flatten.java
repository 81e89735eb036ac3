package org.lance4j.nn;

import org.lance4j.kernel.Elementwise;
import org.lance4j.tensor.Tensor;

/** (B, C, H, W) → (B, C·H·W), a copy (buffers are planned per node). Keeps nothing. */
public final class Flatten extends Layer {
    public Flatten(String name) {
        super(name);
    }

    @Override
    public void forward(Tensor y, Tensor[] x) {
        y.copyFrom(x[0].data, x[0].offset);
    }

    @Override
    public void backward(Tensor dy, Tensor[] dx) {
        if (dx[0] != null) Elementwise.axpy(1f, dy.data, dy.offset, dx[0].data, dx[0].offset, dy.size());
    }

    @Override
    public String kind() {
        return "flatten";
    }
}
