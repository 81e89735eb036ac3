package org.lance4j.nn;

import org.lance4j.compress.ConvBasis;
import org.lance4j.kernel.Depthwise;
import org.lance4j.kernel.Elementwise;
import org.lance4j.kernel.Gemm;
import org.lance4j.kernel.Im2col;
import org.lance4j.kernel.ModeOps;
import org.lance4j.kernel.Reduce;
import org.lance4j.kernel.Transpose;
import org.lance4j.kernel.Vec;
import org.lance4j.kernel.Winograd;
import org.lance4j.kernel.Winograd4;
import org.lance4j.kernel.Workers;
import org.lance4j.linalg.SymmetricEigen;
import org.lance4j.tensor.Shape;
import org.lance4j.tensor.Tensor;

/**
 * 2-D convolution, NCHW, square kernel, stride and padding, groups (depthwise when groups == C == O),
 * optional bias. Three paths: depthwise (direct kernel), 1×1 stride 1 without padding (a direct GEMM
 * on the input, no im2col), and the general path (per image im2col into the workspace, one GEMM per
 * group). When its weights are trained it keeps its input in full for the weight gradient (the BP
 * store); a frozen convolution on the backward path keeps nothing, since dX needs only W.
 *
 * <p>With a {@link ConvBasis} (LANCE) it keeps only the core S = X ×_C U_Cᵀ ×_H U_Hᵀ ×_W U_Wᵀ (×_B U_Bᵀ)
 * and takes the weight gradient from it without rebuilding X: contract dY with U_B (when the batch is
 * projected), rebuild the spatial modes only (T = S ×_H U_H ×_W U_W, r_C channels), run the
 * weight-gradient convolution in the reduced channel space (Z, (O, r_C, K, K)), and expand with U_C:
 * dW = Z ×_C U_C. The factors live in the backward-held arena for the life of the graph.
 *
 * <p>With an unfolded basis ({@link ConvBasis#unfolded}, the continual-learning layout) the modes are those of
 * the im2col columns (B, C·K·K, L): the core is S_b = U_Cᵀ col(X_b) U_L per image (mixed by U_B when the
 * batch is projected), and dW = (Σ_b dY_b U_L S_bᵀ) U_Cᵀ — every row of it lies in the span of U_C.
 *
 * <p>The same core and chain serve two more stores: ASI (the factors take one warm-started subspace
 * iteration on each batch before projecting, ranks fixed) and HOSVD (no basis: each batch's four modes
 * are decomposed and ranked by energy, and that step's factors are held with its core).
 */
public final class Conv2d extends Layer {
    private final int outChannels, k, stride, pad, groups;
    private final Tensor w;   // (O, C/groups, K, K)
    private final Tensor b;   // (O) or null
    private final Tensor dw;  // (O, C/groups, K, K) or null when frozen
    private final Tensor db;  // (O) or null
    private final float[] biasLanes;   // the bias gradient's per-channel accumulators (Reduce.channelSum), or null
    private Tensor saved;     // (B, C, H, W) input kept for dW (full store)
    private final ConvBasis basis;     // LANCE bases (or ASI's initial ones), or null for the full store
    private final boolean subspaceIteration; // ASI: refresh the factors from each batch before projecting
    private Tensor uB, uC, uH, uW;     // resident factors: (B, r_B), (C, r_C), (H, r_H), (W, r_W)
    private Tensor core;               // (r_B or B, r_C, r_H, r_W) held
    private Tensor[] factors;          // {U_B or null, U_C, U_H, U_W}, for loops over modes without allocating
    private final double hosvdEnergy;  // HOSVD: > 0 decomposes every mode of every batch, ranks by this energy
    private int rB, rC, rH, rW;        // ranks in use this step (fixed for LANCE/ASI, per step for HOSVD)
    private double[] gramD, vecD, valD; // HOSVD: (D, D), (D, D), (D) for the largest mode, fixed at plan time
    private long maxCompressedFloats;  // the most core + factors held by one step so far
    private int bsz, c, h, wd, oh, ow, cg, og, ckk;
    private boolean depthwise, direct;
    /**
     * Images per GEMM (groups == 1): when the output plane is small, one image's GEMM is a thin
     * matrix–vector product that reads all of W for a handful of columns; stacking {@code chunk}
     * images' columns side by side makes it one GEMM of about {@link #CHUNK_COLUMNS} columns.
     */
    private int chunk;
    static final int CHUNK_COLUMNS = 128;
    /**
     * A 3 × 3 convolution at stride 1 with padding 1, one group, at least {@link #WINOGRAD_MIN_CHANNELS} channels in and
     * out: forward, input gradient and (full store) weight gradient by Winograd's F(4 × 4, 3 × 3) ({@link Winograd4}), or
     * with {@code -Dlance4j.winograd.tile=2} by F(2 × 2, 3 × 3) ({@link Winograd}); LANCE's weight gradient from its core
     * is unchanged. {@code -Dlance4j.winograd=false}: never; {@code =always}: at any channel count (the golden-state
     * test runs so, against PyTorch's direct convolutions).
     */
    private boolean winograd;
    /**
     * Whether this layer's Winograd is F(4 × 4, 3 × 3) ({@link Winograd4}: 1.78× fewer multiply-adds than F(2 × 2, 3 × 3),
     * 2.25 transformed floats per pixel instead of 4): with {@code -Dlance4j.winograd.tile=4} (the default) on planes of
     * at least {@link #WINOGRAD4_MIN_TILES} of its tiles (at 512 and 256 bits, where its transforms run on vectors of
     * tiles; every plane at 128 bits); smaller planes keep F(2 × 2, 3 × 3), whose tiles fill vectors sooner.
     */
    private boolean wino4;
    /**
     * Images per Winograd pass: about {@link #WINOGRAD_TILES} tiles (the GEMMs' columns; F(4 × 4, 3 × 3):
     * {@link #WINOGRAD4_TILES}), whole images.
     */
    private int winogradImages;
    static final String WINOGRAD = winogradSetting();
    static final int WINOGRAD_MIN_CHANNELS = 16, WINOGRAD_TILES = 512;
    /**
     * F(4 × 4, 3 × 3)'s pass: 128 tiles, its V and M 36 × 128 floats per channel (1.2 MB for 64 channels, about the
     * L2). ResNet18's step at one thread (F(4 × 4, 3 × 3) on its 32 × 32 planes, alternating JVMs, medians of 25 steps):
     * with 512-tile passes 544–575 ms, no better than F(2 × 2, 3 × 3) everywhere (536–594); with 256 529–551; with 128
     * 512–538; with 64 614–640. F(2 × 2, 3 × 3)'s own pass showed no difference between 128 and 1024 tiles.
     */
    static final int WINOGRAD4_TILES = 128;
    /**
     * Tiles of a plane below which F(2 × 2, 3 × 3) stays (see {@link #wino4}): a vector of tiles at 512 bits; none at the
     * Pi's 128 bits. ResNet18's step at one thread, alternating JVMs: at 512 bits, F(4 × 4, 3 × 3) also on its 8 × 8
     * planes (4 tiles, scalar transforms) or on its 32 × 32 ones only gave the same times within the noise (504–534 ms; at
     * two threads 281–287), and also on its 4 × 4 planes 568–590 against 535–556; at 256 bits on every plane 773 / 793
     * against 762 / 810 ms; at 128 bits, where the GEMMs weigh more against the transforms, on every plane 1159–1168 ms,
     * on planes of ≥ 4 tiles 1167–1185, on planes of ≥ 16 tiles 1220–1232.
     */
    static final int WINOGRAD4_MIN_TILES = Vec.LANES <= 4 ? 1 : 16;
    /** Output tile of the Winograd layers: 4 (F(4 × 4, 3 × 3), the default) or 2 (F(2 × 2, 3 × 3)). */
    static final int WINOGRAD_TILE = winogradTile();

    private static int winogradTile() {
        String v = System.getProperty("lance4j.winograd.tile", "4");
        if (!v.equals("4") && !v.equals("2")) {
            throw new IllegalArgumentException("-Dlance4j.winograd.tile=" + v + ": use 4 (F(4x4, 3x3), the default) or 2 (F(2x2, 3x3))");
        }
        return Integer.parseInt(v);
    }

    /** Positions ξ of this layer's transformed tiles: 36 or 16. */
    private int xi() {
        return wino4 ? Winograd4.XI : Winograd.XI;
    }

    /** Winograd tiles of one image's plane. */
    private int tilesPerImage() {
        return wino4 ? Winograd4.tiles(h, wd) : Winograd.tiles(h, wd);
    }

    /** Floats of one thread's scratch for the vector transforms. */
    private int phaseFloats() {
        return wino4 ? Winograd4.phaseFloats(h, wd) : Winograd.phaseFloats(h, wd);
    }

    private static String winogradSetting() {
        String v = System.getProperty("lance4j.winograd", "auto");
        if (!v.equals("auto") && !v.equals("false") && !v.equals("always")) {
            throw new IllegalArgumentException("-Dlance4j.winograd=" + v + ": use auto (the default), false or always");
        }
        return v;
    }
    /** im2col / col2im of one image, split over blocks of channels (one per thread). */
    private final ColumnsTask columns = new ColumnsTask();
    /** Depthwise forward and backward of one image, split over blocks of channels (one per thread). */
    private final DepthwiseTask depthwiseTask = new DepthwiseTask();

    public Conv2d(String name, int outChannels, int k, int stride, int pad, int groups,
                  Tensor w, Tensor b, Tensor dw, Tensor db) {
        this(name, outChannels, k, stride, pad, groups, w, b, dw, db, null);
    }

    public Conv2d(String name, int outChannels, int k, int stride, int pad, int groups,
                  Tensor w, Tensor b, Tensor dw, Tensor db, ConvBasis basis) {
        this(name, outChannels, k, stride, pad, groups, w, b, dw, db, basis, false);
    }

    /**
     * @param subspaceIteration ASI: before each training projection, every factor takes one warm-started
     *                          subspace iteration on the current batch, U ← orth(X₍ₙ₎X₍ₙ₎ᵀ U), ranks fixed
     */
    public Conv2d(String name, int outChannels, int k, int stride, int pad, int groups,
                  Tensor w, Tensor b, Tensor dw, Tensor db, ConvBasis basis, boolean subspaceIteration) {
        this(name, outChannels, k, stride, pad, groups, w, b, dw, db, basis, subspaceIteration, 0);
    }

    /**
     * @param hosvdEnergy HOSVD (when > 0 and no basis): every training step decomposes each of the four
     *                    modes of the batch (eigenvectors of its Gram) and keeps ranks by this energy
     */
    public Conv2d(String name, int outChannels, int k, int stride, int pad, int groups,
                  Tensor w, Tensor b, Tensor dw, Tensor db, ConvBasis basis, boolean subspaceIteration, double hosvdEnergy) {
        super(name);
        this.basis = basis;
        this.subspaceIteration = subspaceIteration && basis != null;
        this.hosvdEnergy = basis == null ? hosvdEnergy : 0;
        this.outChannels = outChannels;
        this.k = k;
        this.stride = stride;
        this.pad = pad;
        this.groups = groups;
        this.w = w;
        this.b = b;
        this.dw = dw;
        this.db = db;
        this.biasLanes = db == null ? null : new float[Reduce.channelScratchFloats(outChannels)];
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
        chunk = groups == 1 ? Math.max(1, Math.min(bsz, CHUNK_COLUMNS / (oh * ow))) : 1;
        winograd = !WINOGRAD.equals("false") && groups == 1 && k == 3 && stride == 1 && pad == 1
                && (WINOGRAD.equals("always") || c >= WINOGRAD_MIN_CHANNELS && outChannels >= WINOGRAD_MIN_CHANNELS);
        wino4 = winograd && WINOGRAD_TILE == 4 && Winograd4.tiles(h, wd) >= WINOGRAD4_MIN_TILES;
        winogradImages = Math.max(1, Math.min(bsz, (wino4 ? WINOGRAD4_TILES : WINOGRAD_TILES) / tilesPerImage()));
        if (basis != null && basis.unfolded()) {
            if (!trainParams) throw new IllegalArgumentException(name + ": a LANCE basis was given but the layer is not trained");
            if (groups != 1) throw new IllegalArgumentException(name + ": an unfolded (continual-learning) basis needs groups = 1, not " + groups);
            if (basis.b() != bsz || basis.c() != ckk || basis.h() != oh * ow) {
                throw new IllegalArgumentException(name + ": unfolded basis made for columns (" + basis.b() + ", " + basis.c() + ", " + basis.h()
                        + ") but the layer's are (" + bsz + ", " + ckk + ", " + oh * ow + "); calibrate again for this batch size and input");
            }
            if (basis.projectsBatch()) uB = new Tensor(name + ".U_B", Shape.of(bsz, basis.rB()), null, 0);
            uC = new Tensor(name + ".U_in", Shape.of(ckk, basis.rC()), null, 0);
            uH = new Tensor(name + ".U_L", Shape.of(oh * ow, basis.rH()), null, 0);
            core = new Tensor(name + ".core", Shape.of(basis.rB(), basis.rC(), basis.rH()), null, 0);
            factors = new Tensor[] {uB, uC, uH, null};
            rB = basis.rB();
            rC = basis.rC();
            rH = basis.rH();
            rW = 1;
        } else if (basis != null) {
            if (!trainParams) throw new IllegalArgumentException(name + ": a LANCE basis was given but the layer is not trained");
            if (groups != 1 && !depthwise) {
                throw new IllegalArgumentException(name + ": compressed stores support regular and depthwise convolutions, not groups="
                        + groups);
            }
            if (basis.b() != bsz || basis.c() != c || basis.h() != h || basis.w() != wd) {
                throw new IllegalArgumentException(name + ": basis made for input (" + basis.b() + ", " + basis.c() + ", " + basis.h()
                        + ", " + basis.w() + ") but the layer's input is " + in[0] + "; calibrate again for this batch size and input");
            }
            if (basis.projectsBatch()) uB = new Tensor(name + ".U_B", Shape.of(bsz, basis.rB()), null, 0);
            uC = new Tensor(name + ".U_C", Shape.of(c, basis.rC()), null, 0);
            uH = new Tensor(name + ".U_H", Shape.of(h, basis.rH()), null, 0);
            uW = new Tensor(name + ".U_W", Shape.of(wd, basis.rW()), null, 0);
            core = new Tensor(name + ".core", Shape.of(basis.rB(), basis.rC(), basis.rH(), basis.rW()), null, 0);
            factors = new Tensor[] {uB, uC, uH, uW};
            rB = basis.rB();
            rC = basis.rC();
            rH = basis.rH();
            rW = basis.rW();
        } else if (hosvd()) {
            if (groups != 1 && !depthwise) {
                throw new IllegalArgumentException(name + ": compressed stores support regular and depthwise convolutions, not groups="
                        + groups);
            }
            // planned at full rank; each step reserves only what its ranks need
            uB = new Tensor(name + ".U_B", Shape.of(bsz, bsz), null, 0);
            uC = new Tensor(name + ".U_C", Shape.of(c, c), null, 0);
            uH = new Tensor(name + ".U_H", Shape.of(h, h), null, 0);
            uW = new Tensor(name + ".U_W", Shape.of(wd, wd), null, 0);
            core = new Tensor(name + ".core", in[0], null, 0);
            factors = new Tensor[] {uB, uC, uH, uW};
            int d = 0;   // the largest eigenproblem: min(D, N) of each mode (a mode larger than the rest uses its N × N Gram)
            for (int m = 0; m < 4; m++) d = Math.max(d, eigenSize(m));
            gramD = new double[d * d];
            vecD = new double[d * d];
            valD = new double[d];
        } else if (trainParams) {
            saved = new Tensor(name + ".saved_input", in[0], null, 0);
        }
    }

    private boolean hosvd() {
        return hosvdEnergy > 0 && trainParams;
    }

    /** Size of mode m of the input (0 = B, 1 = C, 2 = H, 3 = W). */
    private int modeSize(int m) {
        return switch (m) {
            case 0 -> bsz;
            case 1 -> c;
            case 2 -> h;
            default -> wd;
        };
    }

    /** HOSVD's eigenproblem for mode m: its D × D Gram, or the N × N Gram of the unfolding when D > N (N = the other sizes' product). */
    private int eigenSize(int m) {
        int d = modeSize(m);
        long n = (long) bsz * c * h * wd / d;
        return (int) Math.min(d, n);
    }

    private boolean compressed() {
        return basis != null || hosvd();
    }

    /** The most a step can hold: the core and the factors at full rank for HOSVD. */
    @Override
    public long heldFloats() {
        if (!trainParams) return 0;
        if (hosvd()) return (long) in[0].size() + (long) bsz * bsz + (long) c * c + (long) h * h + (long) wd * wd;
        return basis != null ? basis.coreSize() : in[0].size();
    }

    @Override
    public long residentFloats() {
        return basis != null ? basis.heldFactorSize() : 0;
    }

    @Override
    public void bindResident() {
        if (basis == null) return;
        if (uB != null) resident(uB, basis.uB());
        resident(uC, basis.uC());
        resident(uH, basis.uH());
        if (uW != null) resident(uW, basis.uW());
    }

    private boolean unfolded() {
        return basis != null && basis.unfolded();
    }

    private void resident(Tensor view, float[] values) {
        ctx.held.reserveResident(view, name);
        view.copyFrom(values, 0);
    }

    /** Backward workspace of the weight gradient from a core of ranks (rb, rc, rh) (rb = 0: batch not projected). */
    private long lanceWorkspace(int rb, int rc, int rh) {
        int ohw = oh * ow, kk = k * k;
        long common = (long) rb * outChannels * ohw + (long) rc * h * wd + (long) rh * wd;
        if (depthwise) return common + (long) c * h * wd + Depthwise.workspaceFloats(h, wd, k, stride, pad);
        return common + 2L * rc * kk * ohw + (long) outChannels * rc * kk;
    }

    /**
     * General path: col (C·K·K, OH·OW) and, for the weight gradient, its transpose beside it.
     * Direct 1×1 path: the transposed input of one image (H·W, C), for the weight gradient.
     * Depthwise: one channel's phase planes or padded plane ({@link Depthwise#workspaceFloats}).
     */
    @Override
    public long workspaceFloats() {
        long own;
        if (depthwise) {   // channels last: linear in the channels; per plane: one plane's workspace per thread
            int threads = ctx.workers == null ? 1 : ctx.workers.threads();
            own = depthwiseChannelsLast() ? Depthwise.channelsLastFloats(c, h, wd, k, stride, pad)
                    : (long) threads * Depthwise.workspaceFloats(h, wd, k, stride, pad);
        }
        else if (chunk > 1) own = chunkWorkspace();
        else if (direct) own = dw != null ? (long) c * h * wd : 0;
        else own = (dw != null ? 2L : 1L) * c * k * k * oh * ow;
        if (winograd) own = winogradWorkspace();   // nothing of the im2col path runs on such a layer
        if (hosvd()) {
            long eig = 0;   // per mode: its Gram (D, D), or the unfolding (D, N) + its Gram (N, N) + V scaled (N, D)
            for (int m = 0; m < 4; m++) {
                int d = modeSize(m), e = eigenSize(m);
                eig = Math.max(eig, e == d ? (long) d * d : (long) bsz * c * h * wd + (long) e * e + (long) e * d);
            }
            long proj = ModeOps.projectWorkspace(bsz, c, h, c, h, wd, true);
            return Math.max(Math.max(own, eig), Math.max(proj, lanceWorkspace(bsz, c, h)));
        }
        if (basis == null) return own;
        if (unfolded()) {
            // forward: col (C·K·K, L), U_Cᵀ col (r_C, L) or col U_L (C·K·K, r_L), S_b (r_C, r_L) when the batch is mixed;
            // backward: Z (O, r_C), dY_j U_L (O, r_L), dY mixed by U_B (O, L)
            long l = (long) oh * ow;
            long fwd = ckk * l + Math.max(rC * l, (long) ckk * rH) + (uB != null ? (long) rC * rH : 0);
            long bwd = (long) outChannels * rC + (long) outChannels * rH + (uB != null ? outChannels * l : 0);
            return Math.max(own, Math.max(fwd, bwd));
        }
        long proj = ModeOps.projectWorkspace(bsz, c, h, basis.rC(), basis.rH(), basis.rW(), basis.projectsBatch());
        long asi = 0;
        if (subspaceIteration) {   // one mode at a time: its Gram (D, D) and G·U (D, r), or the unfolding (D, N), Aᵀ U (N, r) and A Aᵀ U (D, r)
            int[] ranks = {basis.rB(), basis.rC(), basis.rH(), basis.rW()};
            for (int m = basis.projectsBatch() ? 0 : 1; m < 4; m++) {
                int d = modeSize(m), r = ranks[m];
                long n = (long) bsz * c * h * wd / d;
                asi = Math.max(asi, asiUnfolds(d, r, n) ? d * n + n * r + (long) d * r : (long) d * d + (long) d * r);
            }
        }
        return Math.max(own, Math.max(proj, Math.max(asi, lanceWorkspace(basis.projectsBatch() ? basis.rB() : 0, basis.rC(), basis.rH()))));
    }

    /**
     * Chunked path: cols (C·K·K, L), stage (O, L), one image's im2col (C·K·K, OH·OW) and, for the weight
     * gradient, cols transposed (L, C·K·K); L = chunk·OH·OW.
     */
    private long chunkWorkspace() {
        long l = (long) chunk * oh * ow;
        return ckk * l + outChannels * l + (long) ckk * oh * ow + (dw != null ? ckk * l : 0);
    }

    /**
     * cols (C·K·K, L) ← the im2col columns of images n0 .. n0+cn−1 side by side (image j at column j·OH·OW);
     * the 1×1 direct case copies the input planes as they are.
     */
    private void gatherCols(float[] x, int xOff, int n0, int cn, float[] ws, int cols, int one) {
        int ohw = oh * ow, l = cn * ohw, hw = h * wd;
        if (direct) {   // the input planes are the columns
            chunkCopy.start(ChunkCopyTask.GATHER, x, xOff + n0 * c * hw, c * hw, ws, cols, l, ckk, cn, ohw);
            return;
        }
        for (int j = 0; j < cn; j++) {
            columns.im2col(x, xOff + (n0 + j) * c * hw, ws, one);
            chunkCopy.start(ChunkCopyTask.GATHER, ws, one, 0, ws, cols + j * ohw, l, ckk, 1, ohw);
        }
    }

    /** Chunked forward: Y[n0 .. n0+cn) = W · cols, through the stage (O, L). */
    private void forwardChunked(Tensor x, Tensor y) {
        float[] ws = ctx.workspace.data;
        int ohw = oh * ow, cols = ctx.workspace.offset, stage = cols + ckk * chunk * ohw, one = stage + outChannels * chunk * ohw;
        for (int n0 = 0; n0 < bsz; n0 += chunk) {
            int cn = Math.min(chunk, bsz - n0), l = cn * ohw;
            gatherCols(x.data, x.offset, n0, cn, ws, cols, one);
            ctx.macs((long) outChannels * l * ckk);
            // W packed once for all chunks (the weights do not change within a forward)
            Gemm.nnReusingA(ctx.workers, n0 > 0, outChannels, l, ckk, w.data, w.offset, ckk, ws, cols, l, ws, stage, l, false);
            // (with an epilogue: the BN and activation applied in this copy back to the image planes)
            chunkCopy.start(ChunkCopyTask.SCATTER, y.data, y.offset + n0 * outChannels * ohw, outChannels * ohw, ws, stage, l, outChannels, cn, ohw);
        }
        for (int n = 0; b != null && n < bsz; n++) addBias(y.data, y.offset + n * outChannels * ohw);
    }

    /** Each of one image's O output planes (at yo) += its bias. */
    private void addBias(float[] y, int yo) {
        int ohw = oh * ow;
        for (int o = 0; o < outChannels; o++) Elementwise.addScalar(y, yo + o * ohw, ohw, b.data[b.offset + o]);
    }

    /**
     * Chunked backward: stage (O, L) ← dY of the chunk; dW += stage · colsᵀ (full store); then
     * cols ← Wᵀ · stage and each image's columns go back through col2im (or straight into dX for 1×1).
     */
    private void backwardChunked(Tensor dy, Tensor dx, boolean weightGrad) {
        float[] ws = ctx.workspace.data;
        int ohw = oh * ow, hw = h * wd, cols = ctx.workspace.offset, stage = cols + ckk * chunk * ohw, one = stage + outChannels * chunk * ohw;
        for (int n0 = 0; n0 < bsz; n0 += chunk) {
            int cn = Math.min(chunk, bsz - n0), l = cn * ohw;
            chunkCopy.start(ChunkCopyTask.GATHER, dy.data, dy.offset + n0 * outChannels * ohw, outChannels * ohw, ws, stage, l, outChannels, cn, ohw);
            if (weightGrad) {
                // dW += stage · colsᵀ as an nn product on the transposed columns: the nt kernel's short dot
                // products over L made full backprop's backward 2.8× slower on the demo's 7 × 7 conv
                int colsT = one + ckk * ohw;   // (L, C·K·K)
                gatherCols(saved.data, saved.offset, n0, cn, ws, cols, one);
                ctx.macs((long) outChannels * ckk * l);
                if (Gemm.ntDirect(outChannels, ckk, l)) {   // the blocked nt kernel packs colsᵀ itself; long dots read it in place
                    Gemm.nt(ctx.workers, outChannels, ckk, l, ws, stage, l, ws, cols, l, dw.data, dw.offset, ckk, true);
                } else {
                    Transpose.transpose(ws, cols, ckk, l, ws, colsT);
                    Gemm.nn(ctx.workers, outChannels, ckk, l, ws, stage, l, ws, colsT, ckk, dw.data, dw.offset, ckk, true);
                }
            }
            if (dx == null) continue;
            ctx.macs((long) ckk * l * outChannels);
            Gemm.tnReusingA(ctx.workers, n0 > 0, ckk, l, outChannels, w.data, w.offset, ckk, ws, stage, l, ws, cols, l, false);
            if (direct) {   // the columns are the input planes' gradient
                chunkCopy.start(ChunkCopyTask.SCATTER_ADD, dx.data, dx.offset + n0 * c * hw, c * hw, ws, cols, l, c, cn, hw);
            } else {
                for (int j = 0; j < cn; j++) {
                    chunkCopy.start(ChunkCopyTask.SCATTER, ws, one, 0, ws, cols + j * ohw, l, ckk, 1, ohw);
                    columns.col2im(ws, one, dx.data, dx.offset + (n0 + j) * c * hw);
                }
            }
        }
    }

    /** Rows of U transformed at once for a product with {@code rows} output rows: all of them, or as many as V has tile columns. */
    private int winogradRows(int rows) {
        return Math.min(rows, winogradImages * tilesPerImage());
    }

    /**
     * Winograd pass: U (Ξ, rows of a block, cols), V (Ξ, C_in, T), M (Ξ, C_out, T), Ξ = {@link #xi} positions, T = tiles of a pass's images;
     * the forward's C_in = C, C_out = O, the input gradient's the reverse.
     */
    private long winogradWorkspace() {
        int threads = ctx.workers == null ? 1 : ctx.workers.threads();
        return winogradBuffers() + (long) threads * phaseFloats();
    }

    /** U, V and M of a pass; after them, each thread's scratch for {@link Winograd#inputPhases} and {@link Winograd#outputPhases}. */
    private long winogradBuffers() {
        long t = (long) winogradImages * tilesPerImage();
        long u = Math.max((long) winogradRows(outChannels) * c, (long) winogradRows(c) * outChannels);
        return xi() * (u + t * (c + outChannels) + 3L * XI_PAD);
    }

    /**
     * Floats between consecutive ξ blocks of U, V and M beyond their size: blocks a power of two apart (512 × 512 of U,
     * 256 × 512 of V) put the 16 positions a transform writes or reads in one cache set, which held all 16 streams in
     * the L1's few ways — one cache line apart they are not. Measured alone (512 channels, 4 × 4 planes, 32 images):
     * U's transform 9.2 → 1.8 ms, V's 2.7 → 0.9, M's 0.8 → 0.6; (256, 8 × 8) V's 5.0 → 1.6 ms.
     */
    static final int XI_PAD = 16;

    /** Forward by F(2 × 2, 3 × 3), then the bias. */
    private void forwardWinograd(Tensor x, Tensor y) {
        winogradPass(false, x.data, x.offset, y.data, y.offset);
        for (int n = 0; b != null && n < bsz; n++) addBias(y.data, y.offset + n * outChannels * oh * ow);
    }

    /**
     * One Winograd convolution over the batch, a pass of {@link #winogradImages} images at a time: the forward
     * (out ← conv(in), then the epilogue when set) or, with {@code inputGrad}, dX += the transposed convolution of dY
     * (W rotated by 180°, channels swapped). Per pass: V ← the input's tiles; per block of U's rows (all rows when U is
     * no larger than V; the block's U transformed from W there, or once for the whole batch), M_ξ ← U_ξ · V_ξ for the
     * {@link #xi} positions ξ; then the output tiles from M. Every element is computed the same way whatever the thread count.
     */
    private void winogradPass(boolean inputGrad, float[] in, int inOff, float[] out, int outOff) {
        int cin = inputGrad ? outChannels : c, cout = inputGrad ? c : outChannels, hw = h * wd, tpi = tilesPerImage(), xi = xi();
        int rows = winogradRows(cout);
        float[] ws = ctx.workspace.data;
        // U (xi, rows, cin), V (xi, cin, t), M (xi, cout, t), each ξ block XI_PAD floats past the previous one's end
        int u = ctx.workspace.offset, v = u + xi * (rows * cin + XI_PAD), m = v + xi * (cin * winogradImages * tpi + XI_PAD);
        boolean whole = rows == cout;
        if (whole) winogradTask.weights(inputGrad, 0, cout, ws, u, cout * cin + XI_PAD);
        for (int n0 = 0; n0 < bsz; n0 += winogradImages) {
            int cn = Math.min(winogradImages, bsz - n0), t = cn * tpi, vStride = cin * t + XI_PAD, mStride = cout * t + XI_PAD;
            ctx.macs((long) outChannels * ckk * cn * hw);   // the convolution's multiply-adds (the model's count, not Winograd's)
            winogradTask.input(in, inOff + n0 * cin * hw, cin * hw, cin, cn, ws, v, vStride, t);
            for (int r0 = 0; r0 < cout; r0 += rows) {
                int r1 = Math.min(cout, r0 + rows), uStride = (whole ? cout : r1 - r0) * cin + XI_PAD;
                if (!whole) winogradTask.weights(inputGrad, r0, r1, ws, u, uStride);
                Gemm.nnMany(ctx.workers, xi, r1 - r0, t, cin, ws, u + (whole ? r0 * cin : 0), cin, uStride, ws, v, t, vStride,
                        ws, m + r0 * t, t, mStride, false);
            }
            winogradTask.output(ws, m, mStride, t, cout, cn, out, outOff + n0 * cout * hw, inputGrad);
        }
    }

    /**
     * dW += the weight gradient by the Winograd transform's adjoint, from the input kept for it: per pass of images V ← the
     * input's tiles and M' ← A dY Aᵀ per tile ({@link Winograd#outputAdjoint}); Z_ξ (+)= M'_ξ · V_ξᵀ over the passes in
     * order (nt GEMMs over the tiles); then dW += Gᵀ Z G. Z holds a block of output channels (all of them when it is no
     * larger than V; otherwise each block makes its own passes). 2.25× (F(2 × 2)) or 4× (F(4 × 4)) fewer multiply-adds than dY · colᵀ.
     */
    private void winogradWeightGrad(Tensor dy) {
        int hw = h * wd, tpi = tilesPerImage(), rows = winogradRows(outChannels), xi = xi();
        float[] ws = ctx.workspace.data;
        // Z (xi, rows, C), V (xi, C, t), M' (xi, rows, t), each ξ block XI_PAD floats past the previous one's end
        int z = ctx.workspace.offset, v = z + xi * (rows * c + XI_PAD), m = v + xi * (c * winogradImages * tpi + XI_PAD);
        boolean onePass = winogradImages >= bsz;   // V then serves every block of output channels (ResNet18's layer4: 4)
        for (int r0 = 0; r0 < outChannels; r0 += rows) {
            int r1 = Math.min(outChannels, r0 + rows), zStride = (r1 - r0) * c + XI_PAD;
            for (int n0 = 0; n0 < bsz; n0 += winogradImages) {
                int cn = Math.min(winogradImages, bsz - n0), t = cn * tpi, vStride = c * t + XI_PAD, mStride = (r1 - r0) * t + XI_PAD;
                if (r0 == 0) ctx.macs((long) outChannels * ckk * cn * hw);   // the model's count, as the im2col path books it
                if (r0 == 0 || !onePass) winogradTask.input(saved.data, saved.offset + n0 * c * hw, c * hw, c, cn, ws, v, vStride, t);
                winogradTask.adjointOutput(dy.data, dy.offset + n0 * outChannels * hw + r0 * hw, outChannels * hw, r1 - r0, cn, ws, m, mStride, t);
                Gemm.ntMany(ctx.workers, xi, r1 - r0, c, t, ws, m, t, mStride, ws, v, t, vStride, ws, z, c, zStride, n0 > 0);
            }
            winogradTask.adjointWeights(ws, z, zStride, r0, r1);
        }
    }

    private final WinogradTask winogradTask = new WinogradTask();

    /**
     * The Winograd transforms split over threads by channels (rows of U or Z; planes of V's, M''s and the output's
     * images): each element is computed by one thread the same way whatever the split.
     */
    private final class WinogradTask implements Workers.Task {
        private static final int WEIGHTS = 0, INPUT = 1, OUTPUT = 2, ADJOINT_OUTPUT = 3, ADJOINT_WEIGHTS = 4;
        private int mode, channels, images, off, imageStride, dOff, xiStride, ld, r0;
        private boolean flip, add;
        private float[] src, dst;

        /** U_ξ rows r0 .. r1 at dOff + ξ·xiStride (row stride: the other channel count). */
        void weights(boolean flip, int r0, int r1, float[] dst, int dOff, int xiStride) {
            this.mode = WEIGHTS; this.flip = flip; this.r0 = r0; this.channels = r1 - r0;
            this.dst = dst; this.dOff = dOff; this.xiStride = xiStride;
            ctx.parallel(this, (long) xi() * channels * (flip ? outChannels : c));
            this.dst = null;
        }

        /** V ← the tiles of {@code images} images (imageStride apart) of {@code channels} planes at off. */
        void input(float[] src, int off, int imageStride, int channels, int images, float[] dst, int dOff, int xiStride, int ld) {
            tiles(INPUT, src, off, imageStride, channels, images, dst, dOff, xiStride, ld);
        }

        /** M' ← A dY Aᵀ per tile, of {@code images} images (imageStride apart) of {@code channels} planes at off. */
        void adjointOutput(float[] src, int off, int imageStride, int channels, int images, float[] dst, int dOff, int xiStride, int ld) {
            tiles(ADJOINT_OUTPUT, src, off, imageStride, channels, images, dst, dOff, xiStride, ld);
        }

        private void tiles(int mode, float[] src, int off, int imageStride, int channels, int images, float[] dst, int dOff, int xiStride, int ld) {
            this.mode = mode; this.src = src; this.off = off; this.imageStride = imageStride; this.channels = channels; this.images = images;
            this.dst = dst; this.dOff = dOff; this.xiStride = xiStride; this.ld = ld;
            ctx.parallel(this, 4L * images * channels * h * wd);
            this.src = this.dst = null;
        }

        /** {@code images} images of {@code channels} planes at dOff ← (or += when {@code add}) the output tiles of M at off. */
        void output(float[] src, int off, int xiStride, int ld, int channels, int images, float[] dst, int dOff, boolean add) {
            this.mode = OUTPUT; this.src = src; this.off = off; this.xiStride = xiStride; this.ld = ld; this.channels = channels;
            this.images = images; this.dst = dst; this.dOff = dOff; this.add = add;
            ctx.parallel(this, 4L * images * channels * h * wd);
            this.src = this.dst = null;
        }

        /** dW rows r0 .. r1 += Gᵀ Z G, Z_ξ at off + ξ·xiStride (row stride C). */
        void adjointWeights(float[] src, int off, int xiStride, int r0, int r1) {
            this.mode = ADJOINT_WEIGHTS; this.src = src; this.off = off; this.xiStride = xiStride; this.r0 = r0; this.channels = r1 - r0;
            ctx.parallel(this, (long) xi() * channels * c);
            this.src = null;
        }

        /** Offset of part's scratch for the vector transforms, after U, V and M. */
        private int scratch(int part) {
            return (int) (ctx.workspace.offset + winogradBuffers()) + part * phaseFloats();
        }

        @Override
        public void run(int part, int parts) {
            int a = (int) ((long) channels * part / parts), z = (int) ((long) channels * (part + 1) / parts);
            if (z <= a) return;
            int hw = h * wd, tpi = tilesPerImage();
            switch (mode) {
                case WEIGHTS -> {
                    int cols = flip ? outChannels : c;
                    if (wino4) Winograd4.weights(w.data, w.offset, outChannels, c, flip, r0 + a, r0 + z, dst, dOff + a * cols, xiStride, cols);
                    else Winograd.weights(w.data, w.offset, outChannels, c, flip, r0 + a, r0 + z, dst, dOff + a * cols, xiStride, cols);
                }
                case INPUT -> {
                    for (int j = 0; j < images; j++) {
                        if (wino4) Winograd4.inputPhases(src, off + j * imageStride, a, z, h, wd, dst, dOff, xiStride, ld, j * tpi, ctx.workspace.data, scratch(part));
                        else Winograd.inputPhases(src, off + j * imageStride, a, z, h, wd, dst, dOff, xiStride, ld, j * tpi, ctx.workspace.data, scratch(part));
                    }
                }
                case ADJOINT_OUTPUT -> {
                    for (int j = 0; j < images; j++) {
                        if (wino4) Winograd4.outputAdjointPhases(src, off + j * imageStride, a, z, h, wd, dst, dOff + a * ld, xiStride, ld, j * tpi,
                                ctx.workspace.data, scratch(part));
                        else Winograd.outputAdjoint(src, off + j * imageStride, a, z, h, wd, dst, dOff + a * ld, xiStride, ld, j * tpi);
                    }
                }
                case ADJOINT_WEIGHTS -> {
                    if (wino4) Winograd4.weightsAdjoint(src, off + a * c, xiStride, c, r0 + a, r0 + z, c, dw.data, dw.offset);
                    else Winograd.weightsAdjoint(src, off + a * c, xiStride, c, r0 + a, r0 + z, c, dw.data, dw.offset);
                }
                default -> {
                    for (int j = 0; j < images; j++) {
                        int plane = dOff + j * channels * hw;
                        if (wino4) Winograd4.outputPhases(src, off, xiStride, ld, j * tpi, a, z, h, wd, dst, plane, add, ctx.workspace.data, scratch(part));
                        else Winograd.outputPhases(src, off, xiStride, ld, j * tpi, a, z, h, wd, dst, plane, add, ctx.workspace.data, scratch(part));
                        if (epScale != null) {
                            for (int ch = a; ch < z; ch++) {
                                Elementwise.scaleShiftClamp(dst, plane + ch * hw, dst, plane + ch * hw, hw, epScale[ch], epShift[ch], epCap);
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * Whether this convolution can apply a frozen BN and its activation to its output itself
     * ({@link #forwardWithEpilogue}): an ungrouped or depthwise convolution without bias.
     */
    public boolean canFuseEpilogue() {
        return b == null && (depthwise || groups == 1);
    }

    /** The epilogue of the current forward (null: none): per output channel, y ← clamp(scale · y + shift, 0, cap). */
    private float[] epScale, epShift;
    private float epCap;

    /**
     * y = clamp(scale · conv(x) + shift, 0, cap) per output channel: this convolution, a BN on running statistics after it
     * (scale, shift its per-channel affine map) and the ReLU (cap = +∞) or ReLU6 after that, with the BN and the activation
     * applied to each image's output right after it is computed, on the thread that computed it, while it is in cache (a
     * 1×1's GEMM per image, a 3 × 3's per image after im2col, depthwise per block or plane; a chunk of images in the copy
     * from the chunk's rows back to the image planes) —
     * the bits of the three forwards one after the other ({@link Elementwise#scaleShiftClamp} on each plane, as BN's
     * fused forward does). Only where {@link #canFuseEpilogue} and off the backward path (the graph fuses a frozen
     * prefix's conv + BN + activation triples).
     */
    public void forwardWithEpilogue(Tensor y, Tensor[] xs, float[] scale, float[] shift, float cap) {
        if (!canFuseEpilogue() || keeping()) {
            throw new IllegalStateException(name + ": a BN and activation fuse into an ungrouped or depthwise convolution without bias, off the backward path");
        }
        epScale = scale;
        epShift = shift;
        epCap = cap;
        try {
            forward(y, xs);
        } finally {
            epScale = epShift = null;
        }
    }

    @Override
    public void forward(Tensor y, Tensor[] xs) {
        Tensor x = xs[0];
        float[] xd = x.data, yd = y.data, wdata = w.data, ws = direct ? null : ctx.workspace.data;
        int ohw = oh * ow, hw = h * wd;
        if (winograd) forwardWinograd(x, y);
        else if (chunk > 1) forwardChunked(x, y);
        boolean batched = !winograd && chunk == 1 && direct && groups == 1;   // 1×1: W against every image, W packed once
        if (batched) {
            ctx.macs((long) bsz * outChannels * hw * c);
            Gemm.nnBatch(ctx.workers, outChannels, hw, c, wdata, w.offset, c, xd, x.offset, hw, c * hw, yd, y.offset, hw, outChannels * hw, bsz, false,
                    epScale, epShift, 0, epCap);
        }
        if (depthwise) {   // every image in one split call (blocks of channels)
            ctx.macs((long) bsz * c * ohw * k * k);
            depthwiseTask.start(x, y, null, null, null);
        }
        for (int n = 0; !winograd && chunk == 1 && n < bsz; n++) {
            int xo = x.offset + n * c * hw, yo = y.offset + n * outChannels * ohw;
            if (depthwise) {
                // done above
            } else if (direct) {
                for (int g = 0; !batched && g < groups; g++) {   // (batched: done above for every image)
                    ctx.macs((long) og * hw * cg);
                    Gemm.nn(ctx.workers, og, hw, cg, wdata, w.offset + g * og * cg, cg, xd, xo + g * cg * hw, hw,
                            yd, yo + g * og * hw, hw, false);
                }
            } else {
                int wo = ctx.workspace.offset;
                columns.im2col(xd, xo, ws, wo);
                for (int g = 0; g < groups; g++) {
                    ctx.macs((long) og * ohw * ckk);
                    // one group: W packed once for all images
                    Gemm.nnReusingA(ctx.workers, n > 0 && groups == 1, og, ohw, ckk, wdata, w.offset + g * og * ckk, ckk, ws, wo + g * ckk * ohw, ohw,
                            yd, yo + g * og * ohw, ohw, false, epScale, epShift, 0, epCap);   // (an epilogue: groups == 1)
                }
            }
            if (b != null) addBias(yd, yo);
        }
        if (keeping() && trainParams) {
            if (compressed()) {
                // after the convolution: the workspace is free again
                if (unfolded()) {
                    projectUnfolded(x);
                    return;
                }
                if (subspaceIteration) refreshFactors(x);
                if (hosvd()) decompose(x);
                ctx.held.reserve(core, rB * rC * rH * rW, name);
                long held = (long) rB * rC * rH * rW + (uB != null ? (long) bsz * rB : 0) + (long) c * rC + (long) h * rH + (long) wd * rW;
                if (held > maxCompressedFloats) maxCompressedFloats = held;
                ctx.macs((long) bsz * c * h * wd * rW + (long) bsz * c * rH * rW * h + (long) bsz * rC * rH * rW * c + (uB != null ? (long) rB * rC * rH * rW * bsz : 0));
                ModeOps.project(x.data, x.offset, bsz, c, h, wd, uB == null ? null : uB.data, uB == null ? 0 : uB.offset, rB,
                        uC.data, uC.offset, rC, uH.data, uH.offset, rH, uW.data, uW.offset, rW,
                        core.data, core.offset, ctx.workspace.data, ctx.workspace.offset);
            } else {
                ctx.held.reserve(saved, name);
                saved.copyFrom(x);
            }
        }
    }

    /**
     * Unfolded store: core (r_B or B, r_C, r_L) ← per image S_b = U_Cᵀ col(X_b) U_L, mixed by U_B when
     * projected. The two products go in the cheaper order: (U_Cᵀ col) U_L costs r_C·L·(D + r_L), U_Cᵀ (col U_L)
     * costs D·r_L·(L + r_C) — on a 180 × 784 input with r_C ≈ 100 and r_L ≈ 50 the second is 2× cheaper.
     */
    private void projectUnfolded(Tensor x) {
        int l = oh * ow, hw = h * wd, plane = rC * rH;
        float[] ws = ctx.workspace.data;
        int col = ctx.workspace.offset, t = col + ckk * l;   // (C·K·K, L), then (r_C, L) or (C·K·K, r_L)
        int s = t + Math.max(rC * l, ckk * rH);              // (r_C, r_L) when the batch is mixed
        boolean leftFirst = unfoldedLeftFirst();
        ctx.held.reserve(core, rB * plane, name);
        long held = (long) rB * plane + (uB != null ? (long) bsz * rB : 0) + (long) ckk * rC + (long) l * rH;
        if (held > maxCompressedFloats) maxCompressedFloats = held;
        if (uB != null) java.util.Arrays.fill(core.data, core.offset, core.offset + rB * plane, 0f);
        for (int n = 0; n < bsz; n++) {
            Im2col.im2col(x.data, x.offset + n * c * hw, c, h, wd, k, stride, pad, ws, col);
            float[] dst = uB == null ? core.data : ws;
            int dOff = uB == null ? core.offset + n * plane : s;
            if (leftFirst) {
                ctx.macs((long) rC * l * ckk + (long) rC * rH * l);
                Gemm.tn(ctx.workers, rC, l, ckk, uC.data, uC.offset, rC, ws, col, l, ws, t, l, false);
                Gemm.nn(ctx.workers, rC, rH, l, ws, t, l, uH.data, uH.offset, rH, dst, dOff, rH, false);
            } else {
                ctx.macs((long) ckk * rH * l + (long) rC * rH * ckk);
                Gemm.nn(ctx.workers, ckk, rH, l, ws, col, l, uH.data, uH.offset, rH, ws, t, rH, false);
                Gemm.tn(ctx.workers, rC, rH, ckk, uC.data, uC.offset, rC, ws, t, rH, dst, dOff, rH, false);
            }
            if (uB != null) {
                ctx.macs((long) rB * plane);
                for (int j = 0; j < rB; j++) {
                    Elementwise.axpy(uB.data[uB.offset + n * rB + j], ws, s, core.data, core.offset + j * plane, plane);
                }
            }
        }
    }

    /** Whether U_Cᵀ col goes first (r_C·L·(D + r_L) multiply-adds) rather than col U_L (D·r_L·(L + r_C)). */
    private boolean unfoldedLeftFirst() {
        long l = (long) oh * ow;
        return rC * l * (ckk + rH) <= (long) ckk * rH * (l + rC);
    }

    /** Unfolded store: dW (O, C·K·K) += (Σ_j dY_j U_L S_jᵀ) U_Cᵀ, dY_j = Σ_b U_B[b, j] dY_b when the batch is projected. */
    private void unfoldedWeightGrad(Tensor dy) {
        int l = oh * ow, plane = rC * rH, ol = outChannels * l;
        float[] ws = ctx.workspace.data;
        int z = ctx.workspace.offset, gu = z + outChannels * rC, gj = gu + outChannels * rH;   // (O, r_C), (O, r_L), (O, L)
        java.util.Arrays.fill(ws, z, z + outChannels * rC, 0f);
        for (int j = 0; j < rB; j++) {
            float[] g = dy.data;
            int go = dy.offset + j * ol;
            if (uB != null) {
                java.util.Arrays.fill(ws, gj, gj + ol, 0f);
                ctx.macs((long) bsz * ol);
                for (int n = 0; n < bsz; n++) Elementwise.axpy(uB.data[uB.offset + n * rB + j], dy.data, dy.offset + n * ol, ws, gj, ol);
                g = ws;
                go = gj;
            }
            ctx.macs((long) outChannels * rH * l + (long) outChannels * rC * rH);
            Gemm.nn(ctx.workers, outChannels, rH, l, g, go, l, uH.data, uH.offset, rH, ws, gu, rH, false);
            Gemm.nt(ctx.workers, outChannels, rC, rH, ws, gu, rH, core.data, core.offset + j * plane, rH, ws, z, rC, true);
        }
        ctx.macs((long) outChannels * ckk * rC);
        Gemm.nt(ctx.workers, outChannels, ckk, rC, ws, z, rC, uC.data, uC.offset, rC, dw.data, dw.offset, ckk, true);
    }

    /**
     * HOSVD: for each mode, the eigenvectors of this batch's Gram (Jacobi, in preallocated double
     * arrays), ranks by the energy, the leading columns reserved as this step's factor.
     */
    private void decompose(Tensor x) {
        float[] ws = ctx.workspace.data;
        int g = ctx.workspace.offset;
        for (int m = 0; m < 4; m++) {
            Tensor u = factors[m];
            int d = u.shape.dim(0), e = eigenSize(m);
            int r;
            if (e == d) {
                modeGram(x, m, d, ws, g);
                for (int i = 0; i < d * d; i++) gramD[i] = ws[g + i];
                SymmetricEigen.decomposeInPlace(gramD, d, vecD, valD);
                r = SymmetricEigen.rankForEnergy(valD, d, hosvdEnergy);
                ctx.held.reserve(u, d * r, name);
                for (int i = 0; i < d; i++) for (int j = 0; j < r; j++) u.data[u.offset + i * r + j] = (float) vecD[i * d + j];
            } else {
                // D > N: the same nonzero spectrum from the N × N Gram of the unfolding A (D, N), A·Aᵀ's
                // eigenvectors as A·v / √λ (what an SVD of the thin unfolding gives, as the peers' HOSVD)
                int gg = g + d * e, vs = gg + e * e;
                ModeOps.unfold(x.data, x.offset, bsz, c, h, wd, m, ws, g);
                ctx.macs((long) e * e * d);
                Gemm.tn(ctx.workers, e, e, d, ws, g, e, ws, g, e, ws, gg, e, false);
                for (int i = 0; i < e * e; i++) gramD[i] = ws[gg + i];
                SymmetricEigen.decomposeInPlace(gramD, e, vecD, valD);
                r = SymmetricEigen.rankForEnergy(valD, e, hosvdEnergy);
                for (int i = 0; i < e; i++) {
                    for (int j = 0; j < r; j++) ws[vs + i * r + j] = (float) (vecD[i * e + j] / Math.sqrt(Math.max(valD[j], 1e-30)));
                }
                ctx.held.reserve(u, d * r, name);
                ctx.macs((long) d * r * e);
                Gemm.nn(ctx.workers, d, r, e, ws, g, e, ws, vs, r, u.data, u.offset, r, false);
                ModeOps.orthonormalize(u.data, u.offset, d, r);
            }
            switch (m) {
                case 0 -> rB = r;
                case 1 -> rC = r;
                case 2 -> rH = r;
                default -> rW = r;
            }
        }
    }

    /** The most bytes of core + factors one training step has held (fixed for LANCE and ASI; HOSVD's vary). */
    public long compressedBytesMax() {
        return 4 * maxCompressedFloats;
    }

    /** ws[g ..] (D, D) = this batch's Gram of mode m (0 = B, 1 = C, 2 = H, 3 = W); shared by HOSVD and ASI. */
    private void modeGram(Tensor x, int m, int d, float[] ws, int g) {
        java.util.Arrays.fill(ws, g, g + d * d, 0f);
        ctx.macs((long) d * bsz * c * h * wd);
        ModeOps.gram(x.data, x.offset, bsz, c, h, wd, m == 0 ? ws : null, m == 1 ? ws : null, m == 2 ? ws : null, m == 3 ? ws : null, g);
    }

    /** Ranks of the last HOSVD step (B, C, H, W), for reports. */
    public int[] ranks() {
        return new int[] {rB, rC, rH, rW};
    }

    /**
     * ASI: one warm-started subspace iteration per mode on this batch, in place on the resident factors:
     * U ← orth(X₍ₙ₎ X₍ₙ₎ᵀ U), through the mode's Gram (D, D) or, when cheaper (D > 2r + 1, about), as
     * X₍ₙ₎ (X₍ₙ₎ᵀ U) from the unfolding — a 1280-channel mode of 32 columns costs 52 M multiply-adds as a
     * Gram and under 1 M as two thin products.
     */
    private void refreshFactors(Tensor x) {
        float[] ws = ctx.workspace.data;
        int g = ctx.workspace.offset;
        for (int m = 0; m < 4; m++) {
            Tensor u = factors[m];
            if (u == null) continue;
            int d = u.shape.dim(0), r = u.shape.dim(1);
            long n = (long) bsz * c * h * wd / d;
            if (asiUnfolds(d, r, n)) {
                ModeOps.unfold(x.data, x.offset, bsz, c, h, wd, m, ws, g);
                ctx.macs(2L * d * n * r);
                ModeOps.subspaceIterationUnfolded(ws, g, d, (int) n, u.data, u.offset, r, ws, (int) (g + d * n), ws, (int) (g + d * n + n * r));
            } else {
                modeGram(x, m, d, ws, g);
                ctx.macs((long) d * d * r);
                ModeOps.subspaceIteration(ws, g, u.data, u.offset, d, r, ws, g + d * d);
            }
        }
    }

    /** Whether ASI's iteration on a mode of size d, rank r and n columns is cheaper from the unfolding than from the Gram. */
    private static boolean asiUnfolds(int d, int r, long n) {
        return (long) d * n + 2L * d * n * r < (long) d * d * n + (long) d * d * r;
    }

    /** dW += (weight-gradient conv of dY (×_B U_Bᵀ) with T = S ×_H U_H ×_W U_W) ×_C U_C. */
    private void lanceWeightGrad(Tensor dy) {
        int ohw = oh * ow, kk = k * k, bp = rB;
        boolean batchProjected = uB != null;
        float[] ws = ctx.workspace.data;
        int z1 = ctx.workspace.offset;                                        // (r_B, O, OH·OW) when batch projected
        int t = z1 + (batchProjected ? bp * outChannels * ohw : 0);          // (r_C, H, W), one batch row at a time
        int q = t + rC * h * wd;                                              // (r_H, W)
        int col = q + rH * wd;                                                // (r_C·K·K, OH·OW)
        int colT = col + rC * kk * ohw;                                       // (OH·OW, r_C·K·K)
        int z = colT + rC * kk * ohw;                                         // (O, r_C·K·K)
        float[] g = dy.data;
        int gOff = dy.offset;
        if (batchProjected) {
            ctx.macs((long) bp * outChannels * ohw * bsz);
            Gemm.tn(ctx.workers, bp, outChannels * ohw, bsz, uB.data, uB.offset, bp, dy.data, dy.offset, outChannels * ohw, ws, z1,
                    outChannels * ohw, false);
            g = ws;
            gOff = z1;
        }
        if (depthwise) {
            // expand channels first (X̃ row (C, H, W) = U_C · T), then the per-channel weight gradient
            int xt = q + rH * wd, dws = xt + c * h * wd;
            for (int n = 0; n < bp; n++) {
                for (int rc = 0; rc < rC; rc++) {
                    ctx.macs((long) rH * wd * rW + (long) h * wd * rH);
                    ModeOps.reconstructPlane(core.data, core.offset + (n * rC + rc) * rH * rW, uH.data, uH.offset, h, rH,
                            uW.data, uW.offset, wd, rW, ws, t + rc * h * wd, ws, q);
                }
                ctx.macs((long) c * h * wd * rC);
                Gemm.nn(ctx.workers, c, h * wd, rC, uC.data, uC.offset, rC, ws, t, h * wd, ws, xt, h * wd, false);
                for (int ch = 0; ch < c; ch++) {
                    ctx.macs((long) ohw * kk);
                    Depthwise.backwardWeight(ws, xt + ch * h * wd, h, wd, g, gOff + (n * c + ch) * ohw, k, stride, pad,
                            dw.data, dw.offset + ch * kk, ws, dws);
                }
            }
            return;
        }
        java.util.Arrays.fill(ws, z, z + outChannels * rC * kk, 0f);
        for (int n = 0; n < bp; n++) {
            for (int rc = 0; rc < rC; rc++) {
                ctx.macs((long) rH * wd * rW + (long) h * wd * rH);
                ModeOps.reconstructPlane(core.data, core.offset + (n * rC + rc) * rH * rW, uH.data, uH.offset, h, rH,
                        uW.data, uW.offset, wd, rW, ws, t + rc * h * wd, ws, q);
            }
            Im2col.im2col(ws, t, rC, h, wd, k, stride, pad, ws, col);
            Transpose.transpose(ws, col, rC * kk, ohw, ws, colT);
            ctx.macs((long) outChannels * rC * kk * ohw);
            Gemm.nn(ctx.workers, outChannels, rC * kk, ohw, g, gOff + n * outChannels * ohw, ohw, ws, colT, rC * kk, ws, z, rC * kk, true);
        }
        for (int o = 0; o < outChannels; o++) {
            ctx.macs((long) c * kk * rC);
            Gemm.nn(ctx.workers, c, kk, rC, uC.data, uC.offset, rC, ws, z + o * rC * kk, kk, dw.data, dw.offset + o * c * kk, kk, true);
        }
    }

    @Override
    public void backward(Tensor dy, Tensor[] dxs) {
        Tensor dx = dxs[0];
        int ohw = oh * ow, hw = h * wd;
        if (db != null) Reduce.channelSum(dy.data, dy.offset, bsz, outChannels, ohw, db.data, db.offset, true, biasLanes);
        float[] gd = dy.data, wdata = w.data;
        boolean lance = compressed();
        if (lance && unfolded()) unfoldedWeightGrad(dy);
        else if (lance) lanceWeightGrad(dy);
        Tensor dwFull = lance ? null : dw;   // the per-image loops below do dX only when LANCE made dW
        if (winograd && dx != null) winogradPass(true, dy.data, dy.offset, dx.data, dx.offset);
        if (winograd && dwFull != null) winogradWeightGrad(dy);
        if (winograd) dx = dwFull = null;    // done: the loops below have nothing left to do
        if (chunk > 1 && (dx != null || dwFull != null)) backwardChunked(dy, dx, dwFull != null);
        boolean batchedDx = chunk == 1 && direct && groups == 1 && dx != null;   // 1×1: dX_n = Wᵀ dY_n for every image, Wᵀ packed once
        if (batchedDx) {
            ctx.macs((long) bsz * c * hw * outChannels);
            Gemm.tnBatch(ctx.workers, c, hw, outChannels, wdata, w.offset, c, gd, dy.offset, hw, outChannels * hw, dx.data, dx.offset, hw, c * hw,
                    bsz, true);
        }
        if (depthwise) {   // every image in one split call; a channel's dW still sums the images in order
            if (dwFull != null) ctx.macs((long) bsz * c * ohw * k * k);
            if (dx != null) ctx.macs((long) bsz * c * ohw * k * k);
            depthwiseTask.start(saved, null, dy, dwFull, dx);
        }
        // 1×1, one group: dW += Σ_n dY_n · X_nᵀ in one split call (the images in order, as the loop below would)
        boolean summedDw = chunk == 1 && direct && groups == 1 && dwFull != null && Gemm.blocked(og, cg, hw);
        if (summedDw) {
            ctx.macs((long) bsz * og * cg * hw);
            Gemm.ntSum(ctx.workers, og, cg, hw, gd, dy.offset, hw, outChannels * ohw, saved.data, saved.offset, hw, c * hw,
                    dw.data, dw.offset, cg, bsz, true);
        }
        for (int n = 0; chunk == 1 && n < bsz; n++) {
            int go = dy.offset + n * outChannels * ohw;
            int xo = saved != null ? saved.offset + n * c * hw : -1;
            int dxo = dx != null ? dx.offset + n * c * hw : -1;
            if (depthwise) {
                // done above
            } else if (direct) {
                // dW_g (og, cg) += dY_g (og, HW) · X_g (cg, HW)ᵀ: by nt where it does well (Gemm.ntDirect), otherwise
                // through an explicit transpose and the nn kernel (short dot products are slow)
                boolean viaNt = Gemm.ntDirect(og, cg, hw);
                if (dwFull != null && !viaNt) Transpose.transpose(saved.data, xo, c, hw, ctx.workspace.data, ctx.workspace.offset);
                for (int g = 0; g < groups; g++) {
                    if (dwFull != null && !summedDw) {
                        ctx.macs((long) og * cg * hw);
                        if (viaNt) {
                            Gemm.nt(ctx.workers, og, cg, hw, gd, go + g * og * hw, hw, saved.data, xo + g * cg * hw, hw,
                                    dw.data, dw.offset + g * og * cg, cg, true);
                        } else {
                            Gemm.nn(ctx.workers, og, cg, hw, gd, go + g * og * hw, hw, ctx.workspace.data, ctx.workspace.offset + g * cg, c,
                                    dw.data, dw.offset + g * og * cg, cg, true);
                        }
                    }
                    if (dx != null && !batchedDx) {
                        ctx.macs((long) cg * hw * og);
                        Gemm.tn(ctx.workers, cg, hw, og, wdata, w.offset + g * og * cg, cg, gd, go + g * og * hw, hw,
                                dx.data, dxo + g * cg * hw, hw, true);
                    }
                }
            } else {
                float[] ws = ctx.workspace.data;
                int wo = ctx.workspace.offset;
                if (dwFull != null) {
                    // colᵀ (OH·OW, C·K·K) sits after col in the workspace; dW_g += dY_g · colᵀ[:, group g]
                    int colT = wo + c * k * k * ohw;
                    boolean viaNt = Gemm.ntDirect(og, ckk, ohw);   // as the 1×1 path above
                    columns.im2col(saved.data, xo, ws, wo);
                    if (!viaNt) Transpose.transpose(ws, wo, c * k * k, ohw, ws, colT);
                    for (int g = 0; g < groups; g++) {
                        ctx.macs((long) og * ckk * ohw);
                        if (viaNt) {
                            Gemm.nt(ctx.workers, og, ckk, ohw, gd, go + g * og * ohw, ohw, ws, wo + g * ckk * ohw, ohw,
                                    dw.data, dw.offset + g * og * ckk, ckk, true);
                        } else {
                            Gemm.nn(ctx.workers, og, ckk, ohw, gd, go + g * og * ohw, ohw, ws, colT + g * ckk, c * k * k,
                                    dw.data, dw.offset + g * og * ckk, ckk, true);
                        }
                    }
                }
                if (dx != null) {
                    for (int g = 0; g < groups; g++) {
                        ctx.macs((long) ckk * ohw * og);
                        Gemm.tnReusingA(ctx.workers, n > 0 && groups == 1, ckk, ohw, og, wdata, w.offset + g * og * ckk, ckk, gd,
                                go + g * og * ohw, ohw, ws, wo + g * ckk * ohw, ohw, false);
                    }
                    columns.col2im(ws, wo, dx.data, dxo);
                }
            }
        }
        if (lance) {
            ctx.held.release(core, rB * rC * rH * rW);
            if (hosvd()) {
                ctx.held.release(uW, wd * rW);
                ctx.held.release(uH, h * rH);
                ctx.held.release(uC, c * rC);
                ctx.held.release(uB, bsz * rB);
            }
        } else if (trainParams) {
            ctx.held.release(saved);
        }
    }

    /** The current factor of mode 'B', 'C', 'H' or 'W' (null without a basis, or B when the batch is not projected). */
    public Tensor factor(char mode) {
        return switch (mode) {
            case 'B' -> uB;
            case 'C' -> uC;
            case 'H' -> uH;
            case 'W' -> uW;
            default -> throw new IllegalArgumentException("mode " + mode);
        };
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

    /**
     * Depthwise convolution of one image over blocks of whole channels, one block per thread: small planes
     * channels last (blocks rounded to whole vectors; that workspace is linear in the channel count), large
     * planes per plane with the phase-plane or sampled kernels (each block with its own plane workspace), and with vectors off
     * the scalar references. A channel's work — forward, dX, and its dW summed over the images in order — is
     * done by one thread, so the result does not depend on the thread count.
     */
    private final class DepthwiseTask implements Workers.Task {
        private Tensor x, y, dy, dwt, dx;

        /** Every image of the batch: one split call per layer and pass (it was one per image: 32× the dispatches). */
        void start(Tensor x, Tensor y, Tensor dy, Tensor dwt, Tensor dx) {
            this.x = x;
            this.y = y;
            this.dy = dy;
            this.dwt = dwt;
            this.dx = dx;
            ctx.parallel(this, (long) bsz * c * h * wd * k * k);
            this.x = this.y = this.dy = this.dwt = this.dx = null;
        }

        @Override
        public void run(int part, int parts) {
            if (depthwiseChannelsLast()) {
                int l = Vec.LANES, vecs = (c + l - 1) / l;
                int c0 = Math.min(c, vecs * part / parts * l), c1 = Math.min(c, vecs * (part + 1) / parts * l);
                for (int n = 0; c1 > c0 && n < bsz; n++) channelsLast(n, c0, c1);
            } else {
                int c0 = (int) ((long) c * part / parts), c1 = (int) ((long) c * (part + 1) / parts);
                int wo = ctx.workspace.offset + part * Depthwise.workspaceFloats(h, wd, k, stride, pad);
                for (int n = 0; c1 > c0 && n < bsz; n++) perPlane(n, c0, c1, wo);
            }
        }

        private void channelsLast(int n, int c0, int c1) {
            int hw = h * wd, ohw = oh * ow, kk = k * k, cb = c1 - c0;
            long perChannel = Depthwise.channelsLastFloats(1, h, wd, k, stride, pad);
            int wsOff = (int) (ctx.workspace.offset + perChannel * c0);
            int xo = x == null ? 0 : x.offset + (n * c + c0) * hw;   // x: null on a frozen layer's backward (dX needs only W)
            float[] xd = x == null ? null : x.data;
            if (y != null) {
                Depthwise.forwardChannelsLast(xd, xo, cb, h, wd, w.data, w.offset + c0 * kk, k, stride, pad,
                        y.data, y.offset + (n * c + c0) * ohw, ctx.workspace.data, wsOff);
                if (epScale != null) Elementwise.rowsScaleShiftClamp(y.data, y.offset + (n * c + c0) * ohw, cb, ohw, ohw, epScale, epShift, c0, epCap);
            } else {
                Depthwise.backwardChannelsLast(xd, xo, dy.data, dy.offset + (n * c + c0) * ohw, cb, h, wd, w.data, w.offset + c0 * kk,
                        k, stride, pad, dwt == null ? null : dwt.data, dwt == null ? 0 : dwt.offset + c0 * kk,
                        dx == null ? null : dx.data, dx == null ? 0 : dx.offset + (n * c + c0) * hw, ctx.workspace.data, wsOff);
            }
        }

        /** Channel by channel: the phase-plane or sampled vector kernels, or with vectors off the scalar references. */
        private void perPlane(int n, int c0, int c1, int wo) {
            int hw = h * wd, ohw = oh * ow, kk = k * k;
            float[] ws = ctx.workspace.data;
            for (int ch = c0; ch < c1; ch++) {
                int xo = x == null ? 0 : x.offset + (n * c + ch) * hw;
                if (y != null) {
                    int yo = y.offset + (n * c + ch) * ohw;
                    Depthwise.forward(x.data, xo, h, wd, w.data, w.offset + ch * kk, k, stride, pad, y.data, yo, ws, wo, n > 0 || ch > c0);
                    if (epScale != null) Elementwise.scaleShiftClamp(y.data, yo, y.data, yo, ohw, epScale[ch], epShift[ch], epCap);
                    continue;
                }
                int go = dy.offset + (n * c + ch) * ohw;
                // warm after this part's first plane: its workspace still holds the previous plane's borders and zeros
                Depthwise.backward(x == null ? null : x.data, xo, dy.data, go, h, wd, w.data, w.offset + ch * kk, k, stride, pad,
                        dwt == null ? null : dwt.data, dwt == null ? 0 : dwt.offset + ch * kk, dx == null ? null : dx.data,
                        dx == null ? 0 : dx.offset + (n * c + ch) * hw, ws, wo, n > 0 || ch > c0);
            }
        }
    }

    /**
     * Whether this depthwise layer runs channels last: vectors on and an output plane of at most 8 × 8 at stride 1; at
     * stride 2 or more, below 8 × 8 for a 3 × 3 kernel at stride 2 (larger planes take {@link Depthwise}'s sampled
     * per-plane kernels) and up to 16 × 16 otherwise (where the phase planes' gather of every second input value costs
     * more). Measured, both paths on the same layer in one JVM, forward / backward in µs, channels last vs phase planes:
     * 8 × 8 stride 1 (192 channels) 58 / 99 vs 69 / 156; 10 × 10 stride 1: 96 / 171 vs 79 / 213; 12 × 12 stride 1:
     * 145 / 257 vs 102 / 262; 14 × 14 stride 1: 200 / 330 vs 134 / 338; 32 × 32 → 16 × 16 stride 2 (96 channels):
     * 203–207 / 418–424 vs 225–245 / 497–545; stride 2 onto 20 × 20: 294 / 570 vs 276 / 520; onto 32 × 32: 885 / 2378
     * vs 717 / 1609. Channels last vs sampled, 3 × 3 at stride 2 (per image, medians of 41,
     * two runs): 32 × 32 → 16 × 16 (144 channels) 227–242 / 524–529 vs 100–120 / 308–319; 16 × 16 → 8 × 8 (192
     * channels) 79–80 / 164–165 vs 44–48 / 125–126; 8 × 8 → 4 × 4 (576 channels) 66–73 / 128–146 vs 77–119 / 223–377.
     */
    private boolean depthwiseChannelsLast() {
        int ohw = oh * ow;
        if (!Vec.ENABLED) return false;
        if (stride == 1) return ohw <= 64;
        return ohw < 64 || (!(k == 3 && stride == 2) && ohw <= 256);
    }

    /**
     * The chunked path's moves between per-image planes and a chunk's rows (images side by side), split over threads
     * by rows: {@link #GATHER} row r (at rowsOff + r·ld) ← plane r of each image j (at planesOff + j·imageStride + r·plane);
     * {@link #SCATTER} the reverse; {@link #SCATTER_ADD} adds rows into the planes (a 1×1 convolution's input gradient).
     * Each element is moved (or added once) the same way whatever the split, so results do not depend on it.
     */
    private final class ChunkCopyTask implements Workers.Task {
        static final int GATHER = 0, SCATTER = 1, SCATTER_ADD = 2;
        private float[] planes, rowsArr;
        private int mode, planesOff, imageStride, rowsOff, ld, rows, images, plane;

        void start(int mode, float[] planes, int planesOff, int imageStride, float[] rowsArr, int rowsOff, int ld, int rows, int images,
                   int plane) {
            this.mode = mode;
            this.planes = planes; this.planesOff = planesOff; this.imageStride = imageStride;
            this.rowsArr = rowsArr; this.rowsOff = rowsOff; this.ld = ld;
            this.rows = rows; this.images = images; this.plane = plane;
            ctx.parallel(this, (long) rows * images * plane);
            this.planes = this.rowsArr = null;
        }

        @Override
        public void run(int part, int parts) {
            int r0 = (int) ((long) rows * part / parts), r1 = (int) ((long) rows * (part + 1) / parts);
            for (int r = r0; r < r1; r++) {
                for (int j = 0; j < images; j++) {
                    int pl = planesOff + j * imageStride + r * plane, ro = rowsOff + r * ld + j * plane;
                    if (mode == GATHER) System.arraycopy(planes, pl, rowsArr, ro, plane);
                    else if (mode == SCATTER && epScale != null) Elementwise.scaleShiftClamp(rowsArr, ro, planes, pl, plane, epScale[r], epShift[r], epCap);
                    else if (mode == SCATTER) System.arraycopy(rowsArr, ro, planes, pl, plane);
                    else Elementwise.axpy(1f, rowsArr, ro, planes, pl, plane);
                }
            }
        }
    }

    private final ChunkCopyTask chunkCopy = new ChunkCopyTask();

    /**
     * im2col and col2im of one image over blocks of whole channels: channel c owns rows c·K² .. (c+1)·K² − 1 of
     * the columns and plane c of the image, so blocks touch disjoint memory and the split never changes a result.
     */
    private final class ColumnsTask implements Workers.Task {
        private float[] src, dst;
        private int srcOff, dstOff;
        private boolean forward;

        void im2col(float[] x, int xOff, float[] colsArr, int colsOff) {
            start(x, xOff, colsArr, colsOff, true);
        }

        void col2im(float[] colsArr, int colsOff, float[] dx, int dxOff) {
            start(colsArr, colsOff, dx, dxOff, false);
        }

        private void start(float[] src, int srcOff, float[] dst, int dstOff, boolean forward) {
            this.src = src;
            this.srcOff = srcOff;
            this.dst = dst;
            this.dstOff = dstOff;
            this.forward = forward;
            ctx.parallel(this, (long) c * k * k * oh * ow);
            this.src = this.dst = null;
        }

        @Override
        public void run(int part, int parts) {
            int c0 = (int) ((long) c * part / parts), c1 = (int) ((long) c * (part + 1) / parts);
            if (c1 <= c0) return;
            int hw = h * wd, rows = k * k * oh * ow;
            if (forward) Im2col.im2col(src, srcOff + c0 * hw, c1 - c0, h, wd, k, stride, pad, dst, dstOff + c0 * rows);
            else Im2col.col2im(src, srcOff + c0 * rows, c1 - c0, h, wd, k, stride, pad, dst, dstOff + c0 * hw);
        }
    }
}
