package org.lance4j.nn;

import org.lance4j.compress.ConvBasis;
import org.lance4j.kernel.Elementwise;
import org.lance4j.kernel.Gemm;
import org.lance4j.tensor.Shape;
import org.lance4j.tensor.Tensor;

/**
 * y(B, O) = x(B, F) · Wᵀ + b, W (O, F). Keeps its input when W is trained; with a LANCE basis
 * (a {@link ConvBasis} with H = W = 1: U_F (F, r_F) and optionally U_B (B, r_B)) it keeps only the
 * core S = U_Bᵀ X U_F (r_B or B, r_F) and takes the weight gradient from it without rebuilding X:
 * dW += ((U_Bᵀ G)ᵀ S) U_Fᵀ, G = ∂L/∂y — the O × r_F product first, then one expansion by U_F.
 */
public final class Linear extends Layer {
    private final int outFeatures;
    private final Tensor w, b, dw, db; // (O, F), (O); gradients null when frozen
    private final ConvBasis basis;      // LANCE's fixed bases, or null for the full store
    private Tensor saved;              // (B, F)
    private Tensor core;               // (r_B or B, r_F)
    private Tensor uB, uF;             // (B, r_B) or null, (F, r_F): resident
    private int bsz, f, rB, rF;

    public Linear(String name, int outFeatures, Tensor w, Tensor b, Tensor dw, Tensor db) {
        this(name, outFeatures, w, b, dw, db, null);
    }

    public Linear(String name, int outFeatures, Tensor w, Tensor b, Tensor dw, Tensor db, ConvBasis basis) {
        super(name);
        this.outFeatures = outFeatures;
        this.w = w;
        this.b = b;
        this.dw = dw;
        this.db = db;
        this.basis = basis;
    }

    @Override
    protected void planned() {
        bsz = in[0].dim(0);
        f = in[0].perItem();
        if (basis != null) {
            if (!trainParams) throw new IllegalArgumentException(name + ": a LANCE basis was given but the layer is not trained");
            if (basis.b() != bsz || basis.c() != f || basis.h() != 1 || basis.w() != 1) {
                throw new IllegalArgumentException(name + ": basis made for input (" + basis.b() + ", " + basis.c() + ", " + basis.h() + ", "
                        + basis.w() + ") but the linear layer's input is (" + bsz + ", " + f + "); calibrate again for this batch size and model");
            }
            rB = basis.rB();
            rF = basis.rC();
            if (basis.projectsBatch()) uB = new Tensor(name + ".U_B", Shape.of(bsz, rB), null, 0);
            uF = new Tensor(name + ".U_F", Shape.of(f, rF), null, 0);
            core = new Tensor(name + ".core", Shape.of(rB, rF), null, 0);
        } else if (trainParams) {
            saved = new Tensor(name + ".saved_input", in[0], null, 0);
        }
    }

    @Override
    public long heldFloats() {
        if (!trainParams) return 0;
        return basis != null ? (long) rB * rF : in[0].size();
    }

    @Override
    public long residentFloats() {
        return basis != null ? (uB != null ? (long) bsz * rB : 0) + (long) f * rF : 0;
    }

    @Override
    public void bindResident() {
        if (basis == null) return;
        if (uB != null) {
            ctx.held.reserveResident(uB, name);
            uB.copyFrom(basis.uB(), 0);
        }
        ctx.held.reserveResident(uF, name);
        uF.copyFrom(basis.uC(), 0);
    }

    /** Forward with a projected batch: X U_F (B, r_F). Backward: U_Bᵀ G (r_B, O) when projected, then (O, r_F). */
    @Override
    public long workspaceFloats() {
        if (basis == null) return 0;
        long fwd = uB != null ? (long) bsz * rF : 0;
        long bwd = (uB != null ? (long) rB * outFeatures : 0) + (long) outFeatures * rF;
        return Math.max(fwd, bwd);
    }

    @Override
    public void forward(Tensor y, Tensor[] xs) {
        Tensor x = xs[0];
        Gemm.nt(ctx.workers, bsz, outFeatures, f, x.data, x.offset, f, w.data, w.offset, f, y.data, y.offset, outFeatures, false);
        ctx.macs((long) bsz * outFeatures * f);
        if (b != null) {
            for (int n = 0; n < bsz; n++) {
                Elementwise.add(y.data, y.offset + n * outFeatures, b.data, b.offset, y.data, y.offset + n * outFeatures, outFeatures);
            }
        }
        if (!(keeping() && trainParams)) return;
        if (basis == null) {
            ctx.held.reserve(saved, name);
            saved.copyFrom(x);
            return;
        }
        ctx.held.reserve(core, name);
        ctx.macs((long) bsz * f * rF);
        if (uB == null) {
            Gemm.nn(ctx.workers, bsz, rF, f, x.data, x.offset, f, uF.data, uF.offset, rF, core.data, core.offset, rF, false);
        } else {
            float[] ws = ctx.workspace.data;
            int t = ctx.workspace.offset;   // X U_F (B, r_F)
            Gemm.nn(ctx.workers, bsz, rF, f, x.data, x.offset, f, uF.data, uF.offset, rF, ws, t, rF, false);
            ctx.macs((long) rB * rF * bsz);
            Gemm.tn(ctx.workers, rB, rF, bsz, uB.data, uB.offset, rB, ws, t, rF, core.data, core.offset, rF, false);
        }
    }

    @Override
    public void backward(Tensor dy, Tensor[] dxs) {
        if (db != null) {
            for (int n = 0; n < bsz; n++) Elementwise.axpy(1f, dy.data, dy.offset + n * outFeatures, db.data, db.offset, outFeatures);
        }
        if (dw != null && basis == null) {
            Gemm.tn(ctx.workers, outFeatures, f, bsz, dy.data, dy.offset, outFeatures, saved.data, saved.offset, f, dw.data, dw.offset, f, true);
            ctx.macs((long) outFeatures * f * bsz);
        } else if (dw != null) {
            lanceWeightGrad(dy);
        }
        Tensor dx = dxs[0];
        if (dx != null) {
            Gemm.nn(ctx.workers, bsz, f, outFeatures, dy.data, dy.offset, outFeatures, w.data, w.offset, f, dx.data, dx.offset, f, true);
            ctx.macs((long) bsz * f * outFeatures);
        }
        if (trainParams) ctx.held.release(basis != null ? core : saved);
    }

    /** dW (O, F) += ((U_Bᵀ G)ᵀ S) U_Fᵀ: Z (O, r_F) from the core, then one expansion. */
    private void lanceWeightGrad(Tensor dy) {
        float[] ws = ctx.workspace.data;
        int gb = ctx.workspace.offset;                            // U_Bᵀ G (r_B, O) when the batch is projected
        int z = gb + (uB != null ? rB * outFeatures : 0);         // Z (O, r_F)
        float[] g = dy.data;
        int gOff = dy.offset;
        if (uB != null) {
            ctx.macs((long) rB * outFeatures * bsz);
            Gemm.tn(ctx.workers, rB, outFeatures, bsz, uB.data, uB.offset, rB, dy.data, dy.offset, outFeatures, ws, gb, outFeatures, false);
            g = ws;
            gOff = gb;
        }
        ctx.macs((long) outFeatures * rF * rB + (long) outFeatures * f * rF);
        Gemm.tn(ctx.workers, outFeatures, rF, rB, g, gOff, outFeatures, core.data, core.offset, rF, ws, z, rF, false);
        Gemm.nt(ctx.workers, outFeatures, f, rF, ws, z, rF, uF.data, uF.offset, rF, dw.data, dw.offset, f, true);
    }

    @Override
    public String kind() {
        return "linear";
    }
}
