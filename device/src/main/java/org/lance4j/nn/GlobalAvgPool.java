package org.lance4j.nn;

import org.lance4j.kernel.Elementwise;
import org.lance4j.kernel.Reduce;
import org.lance4j.tensor.Tensor;

/** (B, C, H, W) → (B, C): the mean of each plane. Keeps nothing. */
public final class GlobalAvgPool extends Layer {
    public GlobalAvgPool(String name) {
        super(name);
    }

    @Override
    public void forward(Tensor y, Tensor[] x) {
        int hw = in[0].dim(2) * in[0].dim(3);
        Reduce.planeMean(x[0].data, x[0].offset, y.size(), hw, y.data, y.offset);
    }

    @Override
    public void backward(Tensor dy, Tensor[] dx) {
        if (dx[0] == null) return;
        int hw = in[0].dim(2) * in[0].dim(3);
        float inv = 1f / hw;
        for (int q = 0; q < dy.size(); q++) {
            Elementwise.addScalar(dx[0].data, dx[0].offset + q * hw, hw, dy.data[dy.offset + q] * inv);
        }
    }

    @Override
    public String kind() {
        return "gap";
    }
}
