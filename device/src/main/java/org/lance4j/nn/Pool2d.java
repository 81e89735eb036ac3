package org.lance4j.nn;

import org.lance4j.tensor.IntView;
import org.lance4j.tensor.Tensor;

/**
 * Max and average pooling over (K, K) windows with stride and zero/−∞ padding, PyTorch semantics
 * (floor mode; average counts padding, {@code count_include_pad=True}). Max pooling keeps the argmax
 * of every output (an int per output, first maximum wins as in PyTorch); average pooling keeps nothing.
 * Scalar: pooling is a small share of a step and its windows are gathers.
 */
public final class Pool2d extends Layer {
    private final boolean max;
    private final int k, stride, pad;
    private IntView argmax; // (B, C, OH, OW) indices within the input plane
    private int planes, h, w, oh, ow;

    public Pool2d(String name, boolean max, int k, int stride, int pad) {
        super(name);
        this.max = max;
        this.k = k;
        this.stride = stride;
        this.pad = pad;
    }

    @Override
    protected void planned() {
        planes = in[0].dim(0) * in[0].dim(1);
        h = in[0].dim(2);
        w = in[0].dim(3);
        oh = out.dim(2);
        ow = out.dim(3);
        argmax = new IntView(name + ".argmax", out.size());
    }

    private boolean keepsIndices() {
        return max && onPath && inputGrad[0];
    }

    @Override
    public long heldInts() {
        return keepsIndices() ? argmax.length : 0;
    }

    @Override
    public void forward(Tensor y, Tensor[] xs) {
        Tensor x = xs[0];
        boolean keep = keeping() && keepsIndices();
        if (keep) ctx.held.reserve(argmax, name);
        float inv = 1f / (k * k);
        for (int q = 0; q < planes; q++) {
            int xo = x.offset + q * h * w, yo = y.offset + q * oh * ow;
            for (int oy = 0; oy < oh; oy++) {
                for (int ox = 0; ox < ow; ox++) {
                    float best = Float.NEGATIVE_INFINITY, sum = 0f;
                    int arg = -1;
                    for (int i = 0; i < k; i++) {
                        int iy = oy * stride + i - pad;
                        if (iy < 0 || iy >= h) continue;
                        for (int j = 0; j < k; j++) {
                            int ix = ox * stride + j - pad;
                            if (ix < 0 || ix >= w) continue;
                            float v = x.data[xo + iy * w + ix];
                            if (v > best || Float.isNaN(v)) {
                                best = v;
                                arg = iy * w + ix;
                            }
                            sum += v;
                        }
                    }
                    y.data[yo + oy * ow + ox] = max ? best : sum * inv;
                    if (keep) argmax.data[argmax.offset + (q * oh + oy) * ow + ox] = arg;
                }
            }
        }
    }

    @Override
    public void backward(Tensor dy, Tensor[] dxs) {
        Tensor dx = dxs[0];
        if (dx == null) return;
        float inv = 1f / (k * k);
        for (int q = 0; q < planes; q++) {
            int xo = dx.offset + q * h * w, yo = dy.offset + q * oh * ow;
            for (int oy = 0; oy < oh; oy++) {
                for (int ox = 0; ox < ow; ox++) {
                    float g = dy.data[yo + oy * ow + ox];
                    if (max) {
                        dx.data[xo + argmax.data[argmax.offset + (q * oh + oy) * ow + ox]] += g;
                        continue;
                    }
                    for (int i = 0; i < k; i++) {
                        int iy = oy * stride + i - pad;
                        if (iy < 0 || iy >= h) continue;
                        for (int j = 0; j < k; j++) {
                            int ix = ox * stride + j - pad;
                            if (ix >= 0 && ix < w) dx.data[xo + iy * w + ix] += g * inv;
                        }
                    }
                }
            }
        }
        if (keepsIndices()) ctx.held.release(argmax);
    }

    @Override
    public String kind() {
        return max ? "maxpool" : "avgpool";
    }
}
