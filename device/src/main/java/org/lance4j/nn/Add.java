package org.lance4j.nn;

import org.lance4j.kernel.Elementwise;
import org.lance4j.tensor.Tensor;

/** Residual addition y = x0 + x1 (same shapes). Keeps nothing. */
public final class Add extends Layer {
    public Add(String name) {
        super(name);
    }

    @Override
    public void forward(Tensor y, Tensor[] x) {
        Elementwise.add(x[0].data, x[0].offset, x[1].data, x[1].offset, y.data, y.offset, y.size());
    }

    @Override
    public void backward(Tensor dy, Tensor[] dx) {
        for (Tensor d : dx) {
            if (d != null) Elementwise.axpy(1f, dy.data, dy.offset, d.data, d.offset, dy.size());
        }
    }

    @Override
    public String kind() {
        return "add";
    }
}
