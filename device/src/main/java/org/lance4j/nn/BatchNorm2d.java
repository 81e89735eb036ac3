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
    /** Channel-major passes ({@link #forwardChannelMajor}): planes of at most {@link #SMALL_PLANE} values, or larger ones in spare workspace. */
    private boolean channelMajor;

    /**
     * Planes up to this many values are normalized channel-major: per image, one vector pass over a thread's block
     * of channels, each element with its channel's coefficient from the workspace. Plane by plane, a 1 × 1 or 2 × 2
     * plane cost a kernel call (and a scalar tail) per 1 or 4 values — MobileNetV2 at 32 px has 480,000 such planes
     * per step, and BN was 23 % of its full step. Measured per layer (forward and backward, batch 32): channel-major
     * takes 0.11–0.20 of the plane path's time on 1 × 1 planes, 0.15 on 2 × 2, 0.3 on 4 × 4, 0.75 on 8 × 8, 0.55–0.65 on 16 × 16;
     * the bound stops at 8 × 8 because the workspace grows with the plane (4·C·H·W floats) and from 16 × 16 on it
     * would outgrow the convolutions' in the zoo (MCUNet at batch 8: 148 → 320 KiB).
     */
    static final int SMALL_PLANE = 64;

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
        lanes = new float[2 * Reduce.channelScratchFloats(c)];   // backward's Σ dy and Σ dy·xhat side by side (Reduce.channelSumDot)
        sq = new double[c];
        coefA = new float[c];
        coefB = new float[c];
        boolean batchStats = usesBatchStats();
        keepXhat = onPath && ((batchStats && inputGrad[0]) || dgamma != null);
        channelMajor = hw <= SMALL_PLANE;
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

    /** Channel-major passes: four (C, H, W) regions of sums and per-element coefficients. */
    @Override
    public long workspaceFloats() {
        return channelMajor ? 4L * c * hw : 0;
    }

    /**
     * Larger planes go channel-major too when the graph's workspace (sized by its convolutions) has room for the four
     * regions: measured 0.55–0.65 of the plane path's time on 16 × 16 planes, where the plane path's flat reductions
     * keep a range check per vector (3.5 % of MobileNetV2's full step).
     */
    @Override
    public void workspaceGranted(long floats) {
        if (!channelMajor && 4L * c * hw <= floats) channelMajor = true;
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

    /**
     * Whether this layer normalizes by its running statistics in the current mode (eval, or frozen BN): then its forward
     * is a per-channel affine map, which {@link #forwardWithActivation} can fuse with the activation after it.
     */
    public boolean usesRunningStats() {
        return !usesBatchStats();
    }

    /**
     * y = clamp(BN(x), 0, cap): this layer and the ReLU (cap = +∞) or ReLU6 after it in one pass over memory, the same
     * bits as the two layers' forwards one after the other. Only when BN runs on its running statistics
     * ({@link #usesRunningStats}) and keeps nothing for backward — the graph fuses a frozen prefix's BN + ReLU pairs.
     */
    public void forwardWithActivation(Tensor y, Tensor x, float cap) {
        if (usesBatchStats() || keeping()) {
            throw new IllegalStateException(name + ": BN fuses with its activation only on running statistics and off the backward path");
        }
        fused = true;
        fusedCap = cap;
        try {
            task.start(x, y, null, true, false);
        } finally {
            fused = false;
        }
    }

    /** Channels: the length of {@link #runningAffine}'s arrays. */
    public int channels() {
        return c;
    }

    /**
     * scale[ch], shift[ch] ← this layer's forward on running statistics as an affine map y = scale · x + shift, with the
     * very coefficients its forward uses ({@link #usesRunningStats} must hold): what a convolution before it applies in
     * its epilogue ({@link Conv2d#forwardWithEpilogue}) when the graph fuses the two and the activation after them.
     */
    public void runningAffine(float[] scale, float[] shift) {
        if (usesBatchStats()) throw new IllegalStateException(name + ": batch statistics are not an affine map known before the forward");
        runningStats(0, c);
        for (int ch = 0; ch < c; ch++) {
            float is = (float) (1.0 / Math.sqrt(var[ch] + eps));
            float g = gamma != null ? gamma.data[gamma.offset + ch] : 1f;
            float bt = beta != null ? beta.data[beta.offset + ch] : 0f;
            scale[ch] = g * is;
            shift[ch] = bt - mean[ch] * g * is;
        }
    }

    /** Whether the current forward has the activation fused in ({@link #forwardWithActivation}), and its cap. */
    private boolean fused;
    private float fusedCap;

    /** Per-channel scratch of the plane path: vector accumulators, Σ (x − mean)², two coefficients. */
    private float[] lanes, coefA, coefB;
    private double[] sq;

    /**
     * Forward of channels [c0, c1): statistics (batch or running), the running update, normalization. Every pass reads
     * the images in memory order, image by image and each channel's plane of the block in turn, with per-channel
     * accumulators carried between images — the same operations in the same order per channel as walking one channel's
     * planes image after image, so the same bits, but streams rather than B planes a whole image apart (one pass over
     * 144 × 32 × 32 × 32: 0.58 of the time, {@link Reduce#channelSum}).
     */
    private void forwardChannels(Tensor x, Tensor y, boolean keep, int c0, int c1) {
        boolean batchStats = usesBatchStats();
        int cnt = bsz * hw;
        if (batchStats) {
            Reduce.channelSum(x.data, x.offset, bsz, c, hw, c0, c1, mean, 0, false, lanes);
            for (int ch = c0; ch < c1; ch++) {
                mean[ch] /= cnt;
                sq[ch] = 0;
            }
            for (int n = 0; n < bsz; n++) {
                for (int ch = c0; ch < c1; ch++) sq[ch] += Reduce.sumSqDiff(x.data, x.offset + (n * c + ch) * hw, hw, mean[ch]);
            }
            for (int ch = c0; ch < c1; ch++) var[ch] = (float) (sq[ch] / cnt);
            updateRunning(c0, c1);
        } else {
            runningStats(c0, c1);
        }
        boolean two = keep && keepXhat;   // x → xhat (is, −mean·is) → y (γ, β); else x → y (γ·is, β − mean·γ·is) in one
        for (int ch = c0; ch < c1; ch++) {
            float is = (float) (1.0 / Math.sqrt(var[ch] + eps));
            float g = gamma != null ? gamma.data[gamma.offset + ch] : 1f;
            float bt = beta != null ? beta.data[beta.offset + ch] : 0f;
            if (keep) invstd.data[invstd.offset + ch] = is;
            coefA[ch] = two ? is : g * is;
            coefB[ch] = two ? -mean[ch] * is : bt - mean[ch] * g * is;
        }
        for (int n = 0; n < bsz; n++) {
            for (int ch = c0; ch < c1; ch++) {
                int o = (n * c + ch) * hw;
                if (two) {
                    float g = gamma != null ? gamma.data[gamma.offset + ch] : 1f;
                    float bt = beta != null ? beta.data[beta.offset + ch] : 0f;
                    Elementwise.scaleShiftTwice(x.data, x.offset + o, xhat.data, xhat.offset + o, y.data, y.offset + o, hw, coefA[ch], coefB[ch], g, bt);
                } else if (fused) {
                    Elementwise.scaleShiftClamp(x.data, x.offset + o, y.data, y.offset + o, hw, coefA[ch], coefB[ch], fusedCap);
                } else {
                    Elementwise.scaleShift(x.data, x.offset + o, y.data, y.offset + o, hw, coefA[ch], coefB[ch]);
                }
            }
        }
    }

    /** The running estimates' update from this batch's statistics of channels [c0, c1) (training, BN not frozen). */
    private void updateRunning(int c0, int c1) {
        if (!trackRunning || !ctx.training || ctx.freezeBatchNorm) return;
        int cnt = bsz * hw;
        float unbias = cnt > 1 ? (float) cnt / (cnt - 1) : 1f;
        for (int ch = c0; ch < c1; ch++) {
            int o = runMean.offset + ch;
            runMean.data[o] = (1 - momentum) * runMean.data[o] + momentum * mean[ch];
            int v = runVar.offset + ch;
            runVar.data[v] = (1 - momentum) * runVar.data[v] + momentum * var[ch] * unbias;
        }
    }

    private void runningStats(int c0, int c1) {
        for (int ch = c0; ch < c1; ch++) {
            mean[ch] = runMean.data[runMean.offset + ch];
            var[ch] = runVar.data[runVar.offset + ch];
        }
    }

    /**
     * {@link #forwardChannels} channel-major (small planes, or larger ones in spare workspace). Channels [c0, c1)
     * of one image are the contiguous values [c0·hw, c1·hw) of its (C, H, W) block: the statistics are sums per
     * value position over the images (one vector pass per image), then over each channel's hw positions;
     * normalization is one fused pass per image with the coefficients spread per position. Workspace: four (C·hw) regions r0..r3, each part writing only its own
     * channels' range; a region of sums is overwritten by coefficients once its channels are reduced.
     */
    private void forwardChannelMajor(Tensor x, Tensor y, boolean keep, int c0, int c1) {
        int m = c * hw, j0 = c0 * hw, len = (c1 - c0) * hw, cnt = bsz * hw;
        float[] ws = ctx.workspace.data;
        int r0 = ctx.workspace.offset, r1 = r0 + m, r2 = r1 + m, r3 = r2 + m;
        if (usesBatchStats()) {
            java.util.Arrays.fill(ws, r0 + j0, r0 + j0 + len, 0f);
            java.util.Arrays.fill(ws, r1 + j0, r1 + j0 + len, 0f);
            for (int n = 0; n < bsz; n++) Elementwise.add(x.data, x.offset + n * m + j0, ws, r0 + j0, ws, r0 + j0, len);
            for (int ch = c0; ch < c1; ch++) {   // r0: Σ x per position → the channel's mean at every position
                mean[ch] = (float) (positionSum(ws, r0 + ch * hw) / cnt);
                java.util.Arrays.fill(ws, r0 + ch * hw, r0 + (ch + 1) * hw, mean[ch]);
            }
            for (int n = 0; n < bsz; n++) Elementwise.accSqDiff(x.data, x.offset + n * m + j0, ws, r0 + j0, ws, r1 + j0, len);
            for (int ch = c0; ch < c1; ch++) var[ch] = (float) (positionSum(ws, r1 + ch * hw) / cnt);
            updateRunning(c0, c1);
        } else {
            runningStats(c0, c1);
        }
        boolean two = keep && keepXhat;   // xhat kept: x → xhat → y, as the plane path does
        for (int ch = c0; ch < c1; ch++) {
            float is = (float) (1.0 / Math.sqrt(var[ch] + eps));
            float g = gamma != null ? gamma.data[gamma.offset + ch] : 1f;
            float bt = beta != null ? beta.data[beta.offset + ch] : 0f;
            if (keep) invstd.data[invstd.offset + ch] = is;
            int from = ch * hw, to = from + hw;
            if (two) {
                java.util.Arrays.fill(ws, r0 + from, r0 + to, is);
                java.util.Arrays.fill(ws, r1 + from, r1 + to, -mean[ch] * is);
                java.util.Arrays.fill(ws, r2 + from, r2 + to, g);
                java.util.Arrays.fill(ws, r3 + from, r3 + to, bt);
            } else {
                java.util.Arrays.fill(ws, r0 + from, r0 + to, g * is);
                java.util.Arrays.fill(ws, r1 + from, r1 + to, bt - mean[ch] * g * is);
            }
        }
        for (int n = 0; n < bsz; n++) {
            int o = n * m + j0;
            if (two) {
                Elementwise.mulAddTwice(x.data, x.offset + o, ws, r0 + j0, r1 + j0, r2 + j0, r3 + j0, xhat.data, xhat.offset + o, y.data, y.offset + o, len);
            } else if (fused) {
                Elementwise.mulAddClamp(x.data, x.offset + o, ws, r0 + j0, ws, r1 + j0, y.data, y.offset + o, len, fusedCap);
            } else {
                Elementwise.mulAdd(x.data, x.offset + o, ws, r0 + j0, ws, r1 + j0, y.data, y.offset + o, len);
            }
        }
    }

    /** Σ of one channel's hw position sums, in double. */
    private double positionSum(float[] ws, int off) {
        double s = 0;
        for (int i = 0; i < hw; i++) s += ws[off + i];
        return s;
    }

    /** {@link #backwardChannels} channel-major (as {@link #forwardChannelMajor}; three regions). */
    private void backwardChannelMajor(Tensor dy, Tensor dx, int c0, int c1) {
        int m = c * hw, j0 = c0 * hw, len = (c1 - c0) * hw, cnt = bsz * hw;
        float[] ws = ctx.workspace.data;
        int r0 = ctx.workspace.offset, r1 = r0 + m, r2 = r1 + m;
        java.util.Arrays.fill(ws, r0 + j0, r0 + j0 + len, 0f);
        if (keepXhat) java.util.Arrays.fill(ws, r1 + j0, r1 + j0 + len, 0f);
        for (int n = 0; n < bsz; n++) {
            int o = n * m + j0;
            if (keepXhat) Elementwise.addAndAccMul(dy.data, dy.offset + o, xhat.data, xhat.offset + o, ws, r0 + j0, r1 + j0, len);
            else Elementwise.add(dy.data, dy.offset + o, ws, r0 + j0, ws, r0 + j0, len);
        }
        for (int ch = c0; ch < c1; ch++) {
            s1[ch] = (float) positionSum(ws, r0 + ch * hw);
            if (keepXhat) s2[ch] = (float) positionSum(ws, r1 + ch * hw);
        }
        if (dgamma != null) Elementwise.axpy(1f, s2, c0, dgamma.data, dgamma.offset + c0, c1 - c0);
        if (dbeta != null) Elementwise.axpy(1f, s1, c0, dbeta.data, dbeta.offset + c0, c1 - c0);
        if (dx == null) return;
        boolean batchStats = usesBatchStats();
        for (int ch = c0; ch < c1; ch++) {   // the sums are reduced: r0..r2 now take k, m1, m2
            float g = gamma != null ? gamma.data[gamma.offset + ch] : 1f;
            int from = ch * hw, to = from + hw;
            java.util.Arrays.fill(ws, r0 + from, r0 + to, g * invstd.data[invstd.offset + ch]);
            if (batchStats) {
                java.util.Arrays.fill(ws, r1 + from, r1 + to, s1[ch] / cnt);
                java.util.Arrays.fill(ws, r2 + from, r2 + to, s2[ch] / cnt);
            }
        }
        for (int n = 0; n < bsz; n++) {
            int o = n * m + j0;
            if (batchStats) {
                Elementwise.bnBackward(dy.data, dy.offset + o, xhat.data, xhat.offset + o, dx.data, dx.offset + o, len,
                        ws, r0 + j0, r1 + j0, r2 + j0, !overwriteInputGrad);
            } else if (overwriteInputGrad) {
                Elementwise.mul(ws, r0 + j0, dy.data, dy.offset + o, dx.data, dx.offset + o, len);
            } else {
                Elementwise.accMul(ws, r0 + j0, dy.data, dy.offset + o, dx.data, dx.offset + o, len);
            }
        }
    }

    /** Backward writes every value of dX (each channel, batch statistics or running), so it can overwrite it. */
    @Override
    public boolean canOverwriteInputGrad() {
        return true;
    }

    @Override
    public void backward(Tensor dy, Tensor[] dxs) {
        task.start(dy, null, dxs[0], false, false);
        ctx.held.release(invstd);
        if (keepXhat) ctx.held.release(xhat);
    }

    /** Backward of channels [c0, c1): Σ dy and Σ dy·xhat, the affine gradients, dX — image by image as the forward. */
    private void backwardChannels(Tensor dy, Tensor dx, int c0, int c1) {
        boolean batchStats = usesBatchStats();
        int cnt = bsz * hw;
        if (keepXhat) Reduce.channelSumDot(dy.data, dy.offset, xhat.data, xhat.offset, bsz, c, hw, c0, c1, s1, s2, lanes);
        else Reduce.channelSum(dy.data, dy.offset, bsz, c, hw, c0, c1, s1, 0, false, lanes);
        if (dgamma != null) Elementwise.axpy(1f, s2, c0, dgamma.data, dgamma.offset + c0, c1 - c0);
        if (dbeta != null) Elementwise.axpy(1f, s1, c0, dbeta.data, dbeta.offset + c0, c1 - c0);
        if (dx == null) return;
        for (int ch = c0; ch < c1; ch++) {
            float g = gamma != null ? gamma.data[gamma.offset + ch] : 1f;
            coefA[ch] = g * invstd.data[invstd.offset + ch];
        }
        for (int n = 0; n < bsz; n++) {
            for (int ch = c0; ch < c1; ch++) {
                int o = (n * c + ch) * hw;
                float k = coefA[ch];
                if (batchStats) {
                    Elementwise.bnBackward(dy.data, dy.offset + o, xhat.data, xhat.offset + o, dx.data, dx.offset + o,
                            hw, k, s1[ch] / cnt, s2[ch] / cnt, !overwriteInputGrad);
                } else if (overwriteInputGrad) {
                    Elementwise.scaleShift(dy.data, dy.offset + o, dx.data, dx.offset + o, hw, k, 0f);
                } else {
                    Elementwise.axpy(k, dy.data, dy.offset + o, dx.data, dx.offset + o, hw);
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
            if (forward) {
                if (channelMajor) forwardChannelMajor(a, y, keep, c0, c1);
                else forwardChannels(a, y, keep, c0, c1);
            } else {
                if (channelMajor) backwardChannelMajor(a, dx, c0, c1);
                else backwardChannels(a, dx, c0, c1);
            }
        }
    }

    @Override
    public String kind() {
        return "bn";
    }
}
