package org.lance4j.calib;

import java.util.ArrayList;
import java.util.List;
import org.lance4j.graph.LayerSpec;
import org.lance4j.graph.ModelSpec;
import org.lance4j.kernel.Im2col;
import org.lance4j.tensor.Shape;

/**
 * How continual learning sees a trained layer's input: as columns of the length D of the weight's rows.
 * A convolution's input item unfolds im2col-style into D = C·K·K rows (in (c, kh, kw) order, the order of
 * the weight viewed as (O, C·K·K)) by L = OH·OW columns; a linear layer's item is one column of D = F.
 */
public record LayerInput(String node, boolean conv, int d, int l, int c, int h, int w, int k, int stride, int pad) {

    public static LayerInput of(ModelSpec spec, String node) {
        ModelSpec.Node n = spec.nodes().stream().filter(x -> x.name().equals(node)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("model '" + spec.name() + "' has no layer '" + node + "'"));
        Shape in = spec.shape(n.inputs().get(0));
        if (n.layer() instanceof LayerSpec.Conv cv) {
            if (cv.groups() != 1) throw new IllegalArgumentException(node + ": continual learning protects convolutions with groups = 1, not " + cv.groups());
            int oh = Im2col.outSize(in.dim(1), cv.k(), cv.stride(), cv.pad()), ow = Im2col.outSize(in.dim(2), cv.k(), cv.stride(), cv.pad());
            return new LayerInput(node, true, in.dim(0) * cv.k() * cv.k(), oh * ow, in.dim(0), in.dim(1), in.dim(2), cv.k(), cv.stride(), cv.pad());
        }
        if (n.layer() instanceof LayerSpec.Linear) return new LayerInput(node, false, in.size(), 1, in.size(), 1, 1, 1, 1, 0);
        throw new IllegalArgumentException(node + " is a " + n.layer().getClass().getSimpleName() + ", not a convolution or linear layer");
    }

    /**
     * The layers continual learning trains and protects after the first task: every convolution with
     * groups = 1 and every linear layer except the task heads, in definition order.
     */
    public static List<String> sharedLayers(ModelSpec spec) {
        List<String> heads = spec.heads(), out = new ArrayList<>();
        for (ModelSpec.Node n : spec.nodes()) {
            if (n.layer() instanceof LayerSpec.Conv cv && cv.groups() == 1) out.add(n.name());
            else if (n.layer() instanceof LayerSpec.Linear && !heads.contains(n.name())) out.add(n.name());
        }
        return out;
    }

    /** Floats of one item's input. */
    public int itemSize() {
        return c * h * w;
    }

    /** dst (D, L) at dOff ← the columns of item b of x (B, item) — its im2col for a convolution, a copy for a linear layer. */
    public void columns(float[] x, int xOff, int b, float[] dst, int dOff) {
        int xo = xOff + b * itemSize();
        if (conv) Im2col.im2col(x, xo, c, h, w, k, stride, pad, dst, dOff);
        else System.arraycopy(x, xo, dst, dOff, d);
    }
}
