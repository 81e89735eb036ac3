package org.lance4j.nn;

import org.lance4j.kernel.Elementwise;
import org.lance4j.kernel.Reduce;
import org.lance4j.tensor.Shape;
import org.lance4j.tensor.Tensor;

/**
 * Batch normalization over (B, H, W) per channel, PyTorch semantics: biased variance to normalize,
 * unbiased variance into the running estimate, {@code running = (1 − momentum)·running + momentum·batch}.
 * Modes: batch statistics (training, or always when it tracks no running statistics), running
 * statistics (eval, or training with BN frozen as in the fine-tuning recipe). Affine parameters are
 * optional and trained only when the trainable rule says so.
 *
 * <p>Kept for backward: invstd (C) always; the normalized input xhat (B, C, H, W) only when backward
 * needs it — with batch statistics and an input gradient, or when γ is trained. A frozen BN in eval
 * mode keeps only invstd.
 */
public final class BatchNorm2d extends Layer {
    private final float eps, momentum;
    private final boolean trackRunning;
    private final Tensor gamma, beta;          // (C) or null when not affine
    private final Tensor dgamma, dbeta;        // (C) or null when frozen
    private final Tensor runMean, runVar;      // (C) or null when not tracking
    private Tensor xhat;                       // (B, C, H, W) held
    private Tensor invstd;                     // (C) held
    private float[] mean, var, s1, s2;         // (C) per-step statistics, fixed at plan time
    private int bsz, c, hw;
    private boolean keepXhat;

    public BatchNorm2d(String name, float eps, float momentum, boolean trackRunning, Tensor gamma, Tensor beta,
                       Tensor dgamma, Tensor dbeta, Tensor runMean, Tensor runVar) {
        super(name);
        this.eps = eps;
        this.momentum = momentum;
        this.trackRunning = trackRunning;
        this.gamma = gamma;
        this.beta = beta;
        this.dgamma = dgamma;
        this.dbeta = dbeta;
        this.runMean = runMean;
        this.runVar = runVar;
    }

    @Override
    protected void planned() {
        bsz = in[0].dim(0);
        c = in[0].dim(1);
        hw = in[0].size() / (bsz * c);
        mean = new float[c];
        var = new float[c];
        s1 = new float[c];
        s2 = new float[c];
        boolean batchStats = usesBatchStats();
        keepXhat = onPath && ((batchStats && inputGrad[0]) || dgamma != null);
        xhat = new Tensor(name + ".xhat", in[0], null, 0);
        invstd = new Tensor(name + ".invstd", Shape.of(c), null, 0);
        if (batchStats && bsz * hw < 2 && ctx.training) {
            throw new IllegalArgumentException(name + ": batch statistics need more than one value per channel;"
                    + " got batch " + bsz + " and " + hw + " values per plane — use a larger batch");
        }
    }

    private boolean usesBatchStats() {
        return !trackRunning || (ctx.training && !ctx.freezeBatchNorm);
    }

    @Override
    public long heldFloats() {
        return onPath ? (keepXhat ? in[0].size() : 0) + c : 0;
    }

    @Override
    public void forward(Tensor y, Tensor[] xs) {
        boolean keep = keeping();
        if (keep) {
            if (keepXhat) ctx.held.reserve(xhat, name);
            ctx.held.reserve(invstd, name);
        }
        task.start(xs[0], y, null, true, keep);
    }

    /** Forward of channels [c0, c1): statistics (batch or running), the running update, normalization. */
    private void forwardChannels(Tensor x, Tensor y, boolean keep, int c0, int c1) {
        boolean batchStats = usesBatchStats();
        int cnt = bsz * hw;
        if (batchStats) {
            Reduce.channelSum(x.data, x.offset, bsz, c, hw, c0, c1, mean, 0, false);
            for (int ch = c0; ch < c1; ch++) {
                mean[ch] /= cnt;
                double ss = 0;
                for (int n = 0; n < bsz; n++) ss += Reduce.sumSqDiff(x.data, x.offset + (n * c + ch) * hw, hw, mean[ch]);
                var[ch] = (float) (ss / cnt);
            }
            if (trackRunning && ctx.training && !ctx.freezeBatchNorm) {
                float unbias = cnt > 1 ? (float) cnt / (cnt - 1) : 1f;
                for (int ch = c0; ch < c1; ch++) {
                    int o = runMean.offset + ch;
                    runMean.data[o] = (1 - momentum) * runMean.data[o] + momentum * mean[ch];
                    int v = runVar.offset + ch;
                    runVar.data[v] = (1 - momentum) * runVar.data[v] + momentum * var[ch] * unbias;
                }
            }
        } else {
            for (int ch = c0; ch < c1; ch++) {
                mean[ch] = runMean.data[runMean.offset + ch];
                var[ch] = runVar.data[runVar.offset + ch];
            }
        }
        for (int ch = c0; ch < c1; ch++) {
            float is = (float) (1.0 / Math.sqrt(var[ch] + eps));
            float g = gamma != null ? gamma.data[gamma.offset + ch] : 1f;
            float bt = beta != null ? beta.data[beta.offset + ch] : 0f;
            if (keep) invstd.data[invstd.offset + ch] = is;
            for (int n = 0; n < bsz; n++) {
                int o = (n * c + ch) * hw;
                if (keep && keepXhat) {
                    Elementwise.scaleShift(x.data, x.offset + o, xhat.data, xhat.offset + o, hw, is, -mean[ch] * is);
                    Elementwise.scaleShift(xhat.data, xhat.offset + o, y.data, y.offset + o, hw, g, bt);
                } else {
                    Elementwise.scaleShift(x.data, x.offset + o, y.data, y.offset + o, hw, g * is, bt - mean[ch] * g * is);
                }
            }
        }
    }

    @Override
    public void backward(Tensor dy, Tensor[] dxs) {
        task.start(dy, null, dxs[0], false, false);
        ctx.held.release(invstd);
        if (keepXhat) ctx.held.release(xhat);
    }

    /** Backward of channels [c0, c1): Σ dy and Σ dy·xhat, the affine gradients, dX. */
    private void backwardChannels(Tensor dy, Tensor dx, int c0, int c1) {
        boolean batchStats = usesBatchStats();
        int cnt = bsz * hw;
        Reduce.channelSum(dy.data, dy.offset, bsz, c, hw, c0, c1, s1, 0, false);
        if (keepXhat) Reduce.channelDot(dy.data, dy.offset, xhat.data, xhat.offset, bsz, c, hw, c0, c1, s2, 0, false);
        if (dgamma != null) Elementwise.axpy(1f, s2, c0, dgamma.data, dgamma.offset + c0, c1 - c0);
        if (dbeta != null) Elementwise.axpy(1f, s1, c0, dbeta.data, dbeta.offset + c0, c1 - c0);
        if (dx != null) {
            for (int ch = c0; ch < c1; ch++) {
                float g = gamma != null ? gamma.data[gamma.offset + ch] : 1f;
                float k = g * invstd.data[invstd.offset + ch];
                for (int n = 0; n < bsz; n++) {
                    int o = (n * c + ch) * hw;
                    if (batchStats) {
                        Elementwise.bnBackward(dy.data, dy.offset + o, xhat.data, xhat.offset + o, dx.data, dx.offset + o,
                                hw, k, s1[ch] / cnt, s2[ch] / cnt);
                    } else {
                        Elementwise.axpy(k, dy.data, dy.offset + o, dx.data, dx.offset + o, hw);
                    }
                }
            }
        }
    }

    private final Split task = new Split();

    /** Forward or backward over blocks of whole channels, one per thread: a channel's statistics never mix threads. */
    private final class Split implements org.lance4j.kernel.Workers.Task {
        private Tensor a, y, dx;
        private boolean forward, keep;

        void start(Tensor a, Tensor y, Tensor dx, boolean forward, boolean keep) {
            this.a = a;
            this.y = y;
            this.dx = dx;
            this.forward = forward;
            this.keep = keep;
            ctx.parallel(this, a.size());
            this.a = this.y = this.dx = null;
        }

        @Override
        public void run(int part, int parts) {
            int c0 = (int) ((long) c * part / parts), c1 = (int) ((long) c * (part + 1) / parts);
            if (c1 <= c0) return;
            if (forward) forwardChannels(a, y, keep, c0, c1);
            else backwardChannels(a, dx, c0, c1);
        }
    }

    @Override
    public String kind() {
        return "bn";
    }
}
