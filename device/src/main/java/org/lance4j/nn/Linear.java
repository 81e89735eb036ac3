package org.lance4j.nn;

import org.lance4j.kernel.Elementwise;
import org.lance4j.kernel.Gemm;
import org.lance4j.tensor.Tensor;

/** y(B, O) = x(B, F) · Wᵀ + b, W (O, F). Keeps its input when W is trained. */
public final class Linear extends Layer {
    private final int outFeatures;
    private final Tensor w, b, dw, db; // (O, F), (O); gradients null when frozen
    private Tensor saved;              // (B, F)
    private int bsz, f;

    public Linear(String name, int outFeatures, Tensor w, Tensor b, Tensor dw, Tensor db) {
        super(name);
        this.outFeatures = outFeatures;
        this.w = w;
        this.b = b;
        this.dw = dw;
        this.db = db;
    }

    @Override
    protected void planned() {
        bsz = in[0].dim(0);
        f = in[0].perItem();
        if (trainParams) saved = new Tensor(name + ".saved_input", in[0], null, 0);
    }

    @Override
    public long heldFloats() {
        return trainParams ? in[0].size() : 0;
    }

    @Override
    public void forward(Tensor y, Tensor[] xs) {
        Tensor x = xs[0];
        Gemm.nt(bsz, outFeatures, f, x.data, x.offset, f, w.data, w.offset, f, y.data, y.offset, outFeatures, false);
        ctx.macs((long) bsz * outFeatures * f);
        if (b != null) {
            for (int n = 0; n < bsz; n++) {
                Elementwise.add(y.data, y.offset + n * outFeatures, b.data, b.offset, y.data, y.offset + n * outFeatures, outFeatures);
            }
        }
        if (keeping() && trainParams) {
            ctx.held.reserve(saved, name);
            saved.copyFrom(x);
        }
    }

    @Override
    public void backward(Tensor dy, Tensor[] dxs) {
        if (db != null) {
            for (int n = 0; n < bsz; n++) Elementwise.axpy(1f, dy.data, dy.offset + n * outFeatures, db.data, db.offset, outFeatures);
        }
        if (dw != null) {
            Gemm.tn(outFeatures, f, bsz, dy.data, dy.offset, outFeatures, saved.data, saved.offset, f, dw.data, dw.offset, f, true);
            ctx.macs((long) outFeatures * f * bsz);
        }
        Tensor dx = dxs[0];
        if (dx != null) {
            Gemm.nn(bsz, f, outFeatures, dy.data, dy.offset, outFeatures, w.data, w.offset, f, dx.data, dx.offset, f, true);
            ctx.macs((long) bsz * f * outFeatures);
        }
        if (trainParams) ctx.held.release(saved);
    }

    @Override
    public String kind() {
        return "linear";
    }
}
