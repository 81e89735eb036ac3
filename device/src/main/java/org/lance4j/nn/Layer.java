package org.lance4j.nn;

import org.lance4j.tensor.Shape;
import org.lance4j.tensor.Tensor;

/**
 * A layer of a planned graph: forward and backward side by side, argument order outputs then inputs.
 * Legend: B = batch, C = channels in, O = channels out, H, W = input size, OH, OW = output size,
 * K = kernel, F = features.
 *
 * <p>Everything a layer keeps from forward for backward is reserved in the backward-held arena
 * ({@link StepContext#held}) during forward and released at the end of its backward, in reverse
 * order; {@link #heldFloats()} and {@link #heldInts()} say how much, so the planner can size and
 * budget it. Backward adds into gradient buffers (parameter and input gradients); a null entry of
 * {@code dx} means that input needs no gradient.
 */
public abstract class Layer {
    public final String name;
    /** (B, ...) per input. */
    protected Shape[] in;
    /** (B, ...). */
    protected Shape out;
    /** On the backward path: this layer runs backward and keeps what that needs. */
    protected boolean onPath;
    /** Its parameters receive gradients. */
    protected boolean trainParams;
    /** Per input: whether its gradient is needed. */
    protected boolean[] inputGrad;
    protected StepContext ctx;

    protected Layer(String name) {
        this.name = name;
    }

    /** Called once by the planner, before the arenas are sealed. */
    public void plan(Shape[] inShapes, Shape outShape, boolean onPath, boolean trainParams, boolean[] inputGrad,
                     StepContext ctx) {
        this.in = inShapes;
        this.out = outShape;
        this.onPath = onPath;
        this.trainParams = trainParams;
        this.inputGrad = inputGrad;
        this.ctx = ctx;
        planned();
    }

    /** Hook for layers that derive sizes once shapes are known. */
    protected void planned() { }

    /** Floats this layer reserves in the backward-held arena per training forward. */
    public long heldFloats() {
        return 0;
    }

    /** Ints (bit-packed masks, indices) this layer reserves in the backward-held arena per training forward. */
    public long heldInts() {
        return 0;
    }

    /** Floats this layer keeps in the backward-held arena for the life of the graph (fixed bases). */
    public long residentFloats() {
        return 0;
    }

    /** Reserves and fills the resident part; called once by the planner after sizing the arena. */
    public void bindResident() { }

    /** Floats of shared workspace this layer needs. */
    public long workspaceFloats() {
        return 0;
    }

    /**
     * The shared workspace every layer of the graph gets (the largest need, at least this layer's): a layer may use
     * what it did not ask for to run a faster way, as long as its need stays within it. Called once after planning.
     */
    public void workspaceGranted(long floats) { }

    /**
     * Whether backward can write its single input's gradient with "=" rather than "+=" (it writes every value of
     * it whenever it has one): the planner then leaves that buffer unzeroed when this layer is its first writer,
     * and says so through {@link #overwriteInputGrad()}. Zeroing the gradient buffers was 4 % of MobileNetV2's step.
     */
    public boolean canOverwriteInputGrad() {
        return false;
    }

    /** Set by the planner: this layer is the first writer of its input's gradient, into a buffer not zeroed. */
    protected boolean overwriteInputGrad;

    public final void overwriteInputGrad() {
        overwriteInputGrad = true;
    }

    /** Whether this forward call keeps state for backward. */
    protected final boolean keeping() {
        return onPath && ctx.recording;
    }

    protected final boolean anyInputGrad() {
        for (boolean b : inputGrad) if (b) return true;
        return false;
    }

    public abstract void forward(Tensor y, Tensor[] x);

    public abstract void backward(Tensor dy, Tensor[] dx);

    /** What kind of layer, for reports. */
    public abstract String kind();
}
