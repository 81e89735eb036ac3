package org.lance4j.nn;

import org.lance4j.kernel.Depthwise;
import org.lance4j.kernel.Elementwise;
import org.lance4j.kernel.Gemm;
import org.lance4j.kernel.Im2col;
import org.lance4j.kernel.Reduce;
import org.lance4j.kernel.Transpose;
import org.lance4j.tensor.Shape;
import org.lance4j.tensor.Tensor;

/**
 * 2-D convolution, NCHW, square kernel, stride and padding, groups (depthwise when groups == C == O),
 * optional bias. Three paths: depthwise (direct kernel), 1×1 stride 1 without padding (a direct GEMM
 * on the input, no im2col), and the general path (per image im2col into the workspace, one GEMM per
 * group). When its weights are trained it keeps its input in full for the weight gradient (the BP
 * store); a frozen convolution on the backward path keeps nothing, since dX needs only W.
 */
public final class Conv2d extends Layer {
    private final int outChannels, k, stride, pad, groups;
    private final Tensor w;   // (O, C/groups, K, K)
    private final Tensor b;   // (O) or null
    private final Tensor dw;  // (O, C/groups, K, K) or null when frozen
    private final Tensor db;  // (O) or null
    private Tensor saved;     // (B, C, H, W) input kept for dW
    private int bsz, c, h, wd, oh, ow, cg, og, ckk;
    private boolean depthwise, direct;

    public Conv2d(String name, int outChannels, int k, int stride, int pad, int groups,
                  Tensor w, Tensor b, Tensor dw, Tensor db) {
        super(name);
        this.outChannels = outChannels;
        this.k = k;
        this.stride = stride;
        this.pad = pad;
        this.groups = groups;
        this.w = w;
        this.b = b;
        this.dw = dw;
        this.db = db;
    }

    @Override
    protected void planned() {
        bsz = in[0].dim(0);
        c = in[0].dim(1);
        h = in[0].dim(2);
        wd = in[0].dim(3);
        oh = out.dim(2);
        ow = out.dim(3);
        cg = c / groups;
        og = outChannels / groups;
        ckk = cg * k * k;
        depthwise = groups == c && outChannels == c && groups > 1;
        direct = k == 1 && stride == 1 && pad == 0;
        if (trainParams) saved = new Tensor(name + ".saved_input", in[0], null, 0);
    }

    @Override
    public long heldFloats() {
        return trainParams ? in[0].size() : 0;
    }

    /**
     * General path: col (C·K·K, OH·OW) and, for the weight gradient, its transpose beside it.
     * Direct 1×1 path: the transposed input of one image (H·W, C), for the weight gradient.
     * Depthwise: the phase planes of one channel ({@link Depthwise#workspaceFloats}).
     */
    @Override
    public long workspaceFloats() {
        if (depthwise) return Depthwise.workspaceFloats(h, wd, k, stride, pad);
        if (direct) return dw != null ? (long) c * h * wd : 0;
        return (dw != null ? 2L : 1L) * c * k * k * oh * ow;
    }

    @Override
    public void forward(Tensor y, Tensor[] xs) {
        Tensor x = xs[0];
        float[] xd = x.data, yd = y.data, wdata = w.data, ws = direct ? null : ctx.workspace.data;
        int ohw = oh * ow, hw = h * wd;
        for (int n = 0; n < bsz; n++) {
            int xo = x.offset + n * c * hw, yo = y.offset + n * outChannels * ohw;
            if (depthwise) {
                for (int ch = 0; ch < c; ch++) {
                    Depthwise.forward(xd, xo + ch * hw, h, wd, wdata, w.offset + ch * k * k, k, stride, pad, yd, yo + ch * ohw,
                            ws, ctx.workspace.offset);
                }
            } else if (direct) {
                for (int g = 0; g < groups; g++) {
                    Gemm.nn(og, hw, cg, wdata, w.offset + g * og * cg, cg, xd, xo + g * cg * hw, hw,
                            yd, yo + g * og * hw, hw, false);
                }
            } else {
                int wo = ctx.workspace.offset;
                Im2col.im2col(xd, xo, c, h, wd, k, stride, pad, ws, wo);
                for (int g = 0; g < groups; g++) {
                    Gemm.nn(og, ohw, ckk, wdata, w.offset + g * og * ckk, ckk, ws, wo + g * ckk * ohw, ohw,
                            yd, yo + g * og * ohw, ohw, false);
                }
            }
            if (b != null) {
                for (int o = 0; o < outChannels; o++) Elementwise.addScalar(yd, yo + o * ohw, ohw, b.data[b.offset + o]);
            }
        }
        if (keeping() && trainParams) {
            ctx.held.reserve(saved, name);
            saved.copyFrom(x);
        }
    }

    @Override
    public void backward(Tensor dy, Tensor[] dxs) {
        Tensor dx = dxs[0];
        int ohw = oh * ow, hw = h * wd;
        if (db != null) Reduce.channelSum(dy.data, dy.offset, bsz, outChannels, ohw, db.data, db.offset, true);
        float[] gd = dy.data, wdata = w.data;
        for (int n = 0; n < bsz; n++) {
            int go = dy.offset + n * outChannels * ohw;
            int xo = trainParams ? saved.offset + n * c * hw : -1;
            int dxo = dx != null ? dx.offset + n * c * hw : -1;
            if (depthwise) {
                for (int ch = 0; ch < c; ch++) {
                    if (dw != null) {
                        Depthwise.backwardWeight(saved.data, xo + ch * hw, h, wd, gd, go + ch * ohw, k, stride, pad,
                                dw.data, dw.offset + ch * k * k, ctx.workspace.data, ctx.workspace.offset);
                    }
                    if (dx != null) {
                        Depthwise.backwardInput(gd, go + ch * ohw, h, wd, wdata, w.offset + ch * k * k, k, stride, pad,
                                dx.data, dxo + ch * hw, ctx.workspace.data, ctx.workspace.offset);
                    }
                }
            } else if (direct) {
                if (dw != null) Transpose.transpose(saved.data, xo, c, hw, ctx.workspace.data, ctx.workspace.offset);
                for (int g = 0; g < groups; g++) {
                    if (dw != null) {   // dW_g (og, cg) += dY_g (og, HW) · Xᵀ (HW, C)[:, g·cg ..]
                        Gemm.nn(og, cg, hw, gd, go + g * og * hw, hw, ctx.workspace.data, ctx.workspace.offset + g * cg, c,
                                dw.data, dw.offset + g * og * cg, cg, true);
                    }
                    if (dx != null) {
                        Gemm.tn(cg, hw, og, wdata, w.offset + g * og * cg, cg, gd, go + g * og * hw, hw,
                                dx.data, dxo + g * cg * hw, hw, true);
                    }
                }
            } else {
                float[] ws = ctx.workspace.data;
                int wo = ctx.workspace.offset;
                if (dw != null) {
                    // colᵀ (OH·OW, C·K·K) sits after col in the workspace; dW_g += dY_g · colᵀ[:, group g]
                    int colT = wo + c * k * k * ohw;
                    Im2col.im2col(saved.data, xo, c, h, wd, k, stride, pad, ws, wo);
                    Transpose.transpose(ws, wo, c * k * k, ohw, ws, colT);
                    for (int g = 0; g < groups; g++) {
                        Gemm.nn(og, ckk, ohw, gd, go + g * og * ohw, ohw, ws, colT + g * ckk, c * k * k,
                                dw.data, dw.offset + g * og * ckk, ckk, true);
                    }
                }
                if (dx != null) {
                    for (int g = 0; g < groups; g++) {
                        Gemm.tn(ckk, ohw, og, wdata, w.offset + g * og * ckk, ckk, gd, go + g * og * ohw, ohw,
                                ws, wo + g * ckk * ohw, ohw, false);
                    }
                    Im2col.col2im(ws, wo, c, h, wd, k, stride, pad, dx.data, dxo);
                }
            }
        }
        if (trainParams) ctx.held.release(saved);
    }

    public boolean isDepthwise() {
        return depthwise;
    }

    @Override
    public String kind() {
        return depthwise ? "dwconv" : "conv";
    }

    /** Output spatial size for an input size. */
    public static int outSize(int in, int k, int s, int p) {
        return Im2col.outSize(in, k, s, p);
    }

    public Shape weightShape() {
        return w.shape;
    }
}
