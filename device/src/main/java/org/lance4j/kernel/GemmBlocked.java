package org.lance4j.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The packed, cache-blocked GEMM behind {@link Gemm} for products large enough to pay for packing:
 * C(M,N) (+)= A(M,K)·B(K,N) with A and B read through (row stride, column stride) pairs, so the three
 * forms (nn, nt, tn) are one code path.
 *
 * <p>Loops as in Goto and van de Geijn's layout: for each NC-column panel of B and KC-deep slice, B's
 * slice is packed into NR-wide strips (K-major, contiguous); for each MC-row block of A, A's slice is
 * packed into MR-tall strips; then an MR × NR register-blocked micro-kernel (MR = 8 rows × 2 vectors, 16
 * accumulators, at 512 bits; 5 rows, 10 accumulators, otherwise: {@link #rows}) walks the strips. Edges are
 * zero-padded in the packs and the micro-kernel always
 * computes a full tile, writing back only the valid part: every element of C is computed by the same
 * sequence of operations wherever it lies, so splitting the output over threads (by column or row
 * ranges, {@link Workers}) gives bit-identical results for any thread count.
 *
 * <p>Pack buffers are per thread (a {@link ThreadLocal}), grown on first use and then reused: steady-state
 * calls allocate nothing.
 */
final class GemmBlocked {
    private static final VectorSpecies<Float> S = Vec.F;
    private static final int L = S.length();
    /** Micro-tile rows: 8 or 5 ({@link #rows}). */
    static final int MR = rows();
    /** Micro-tile columns: two vectors. */
    static final int NR = 2 * L;
    /** Depth of a packed slice (KC·NR floats of B per strip stay in L1). */
    static final int KC = 256;
    /** Rows of A packed at once (MC·KC floats in L2); a multiple of MR. */
    static final int MC = MR == 8 ? 96 : 100;

    /**
     * Micro-tile rows: {@code -Dlance4j.gemm.rows=5|8}, by default 8 with 512-bit vectors (AVX-512, 32 vector registers:
     * sixteen accumulators, two vectors of B and a broadcast fit; in AVX2's 16 they spilled, see {@link #kernel}) and 5
     * otherwise. Measured here (AVX-512, 8 against 5 rows, alternating JVMs): {@code bench gemm}'s median ratio to OpenBLAS
     * 1.60–1.61 against 1.45–1.48 and its call-weighted ratio 1.71–1.73 against 1.46–1.54 at one thread (1.02–1.03 / 1.01–1.17
     * against 0.97–0.99 / 0.99–1.05 at two); ResNet18's step 532–549 ms against 568–590, MobileNetV2's 310–317 against
     * 319–334. Not at 128 bits, though NEON has 32 registers too. In round thirteen C2 left some of the eight-row
     * kernels' stores un-intrinsified there and the allocation test failed in 3–4 runs of 8 (up to 4 MB per step): the
     * failure round fourteen found at 512 bits too ({@link #kernel8}). With the add taken out of those kernels, eight rows
     * at 128 bits passed the allocation test 6 runs of 6, but on this x86 machine they were no clear gain over five
     * (bench gemm's time per shape, geometric mean 0.88 and 1.03 of five rows' in two runs), the tests of the path rules
     * assume five rows there (one fails with eight), and nothing is measured on a Cortex-A53: still refused.
     */
    static int rows() {
        String v = System.getProperty("lance4j.gemm.rows");
        if (v == null) return Vec.LANES >= 16 ? 8 : 5;
        if (v.equals("8") && Vec.LANES < 16) {
            throw new IllegalArgumentException("-Dlance4j.gemm.rows=8 needs 512-bit vectors (these are " + Vec.describe()
                    + "): below 512 bits eight rows are untested (the path rules' tests assume five) and unmeasured on NEON; use 5 or leave it out");
        }
        if (!v.equals("5") && !v.equals("8")) {
            throw new IllegalArgumentException("-Dlance4j.gemm.rows=" + v + ": use 8 (512-bit vectors) or 5, or leave it out");
        }
        return Integer.parseInt(v);
    }
    /** Panels at most this wide read A in place rather than packing it (too few strips to reuse a packed copy). */
    static final int IN_PLACE_MAX_N = 4 * NR;
    /** Columns of B packed at once (KC·NC floats); a multiple of NR. */
    static final int NC = 512 / NR * NR;

    private GemmBlocked() { }

    /** Per-thread buffers: packed A block (MC, KC), packed B panel (KC, NC), one tile (MR, NR). */
    private static final class Buffers {
        float[] a = new float[0];
        float[] b = new float[0];
        float[] all = new float[0];   // the whole of A packed, for batch calls (one A, many B and C)
        // what `all` holds when a caller may reuse it ({@link #runReusingA}); null owner: nothing reusable
        Object allOwner;
        int allOff, allRs, allCs, allM, allK;
        final float[] tile = new float[MR * NR];
    }

    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

    /** The parameters of one split call; a {@link Workers} holds one (one caller at a time). */
    static final class Job implements Workers.Task {
        int m, n, k, aOff, ars, acs, bOff, brs, bcs, cOff, ldc;
        float[] a, b, c;
        boolean acc;
        int count, bStride, cStride;   // a batch call: count > 0
        float[] packed;                // A packed whole by the caller (split by columns): non-null
        float[] postScale, postShift;  // an epilogue on each part's output (see runBatch, runReusingA): non-null
        int postOff;
        float postCap;

        /**
         * Runs this job on {@code w}'s threads, then resets it — no references kept to the caller's arrays, and
         * the next call starts as a plain product whatever mode (batch, sum, packed A) this one set.
         */
        void runOn(Workers w) {
            try {
                w.run(this);
            } finally {
                a = b = c = packed = postScale = postShift = null;
                count = manyCount = 0;
                sumCount = 1;
                aStride = bStride = cStride = 0;
            }
        }

        /** This part's contiguous run of the manyCount × tiles output tiles of {@link #runMany}. */
        private void many(int part, int parts) {
            int tilesN = (n + NR - 1) / NR, tilesM = (m + MR - 1) / MR;
            boolean byColumns = tilesN >= tilesM;
            int per = byColumns ? tilesN : tilesM;
            long units = (long) manyCount * per, u = units * part / parts, u1 = units * (part + 1) / parts;
            while (u < u1) {
                int q = (int) (u / per), t0 = (int) (u - (long) q * per), t1 = (int) Math.min(per, u1 - (long) q * per);
                int ao = aOff + q * aStride, bo = bOff + q * bStride, co = cOff + q * cStride;
                if (byColumns) {
                    int j0 = t0 * NR, j1 = Math.min(n, t1 * NR);
                    sequential(m, j1 - j0, k, a, ao, ars, acs, b, bo + j0 * bcs, brs, bcs, c, co + j0, ldc, acc, KC, MC, NC, IN_PLACE_MAX_N);
                } else {
                    int i0 = t0 * MR, i1 = Math.min(m, t1 * MR);
                    sequential(i1 - i0, n, k, a, ao + i0 * ars, ars, acs, b, bo, brs, bcs, c, co + i0 * ldc, ldc, acc, KC, MC, NC, IN_PLACE_MAX_N);
                }
                u = (long) q * per + t1;
            }
        }

        /** The product's operands (the mode fields, count, sumCount and packed, are set by each caller). */
        void set(int m, int n, int k, float[] a, int aOff, int ars, int acs, float[] b, int bOff, int brs, int bcs,
                 float[] c, int cOff, int ldc, boolean acc) {
            this.m = m; this.n = n; this.k = k;
            this.a = a; this.aOff = aOff; this.ars = ars; this.acs = acs;
            this.b = b; this.bOff = bOff; this.brs = brs; this.bcs = bcs;
            this.c = c; this.cOff = cOff; this.ldc = ldc; this.acc = acc;
        }
        int sumCount = 1, aStride;     // a sum of products (A_q, B_q at q·aStride, q·bStride) into one C: sumCount > 1
        int manyCount;                 // independent products (A_q, B_q, C_q at q·aStride, q·bStride, q·cStride): manyCount > 0

        @Override
        public void run(int part, int parts) {
            if (manyCount > 0) {
                many(part, parts);
                return;
            }
            if (packed != null) {   // every part reads the caller's packed A and packs its own columns of B
                int tilesN = (n + NR - 1) / NR;
                int t0 = (int) ((long) tilesN * part / parts), t1 = (int) ((long) tilesN * (part + 1) / parts);
                int j0 = t0 * NR, j1 = Math.min(n, t1 * NR);
                if (j1 > j0) {
                    productPacked(m, j1 - j0, k, packed, b, bOff + j0 * bcs, brs, bcs, c, cOff + j0, ldc, acc);
                    if (postScale != null) Elementwise.rowsScaleShiftClamp(c, cOff + j0, m, j1 - j0, ldc, postScale, postShift, postOff, postCap);
                }
                return;
            }
            if (count > 0) {   // a batch: whole products per thread
                int i0 = (int) ((long) count * part / parts), i1 = (int) ((long) count * (part + 1) / parts);
                if (i1 > i0) batch(m, n, k, a, aOff, ars, acs, b, bOff + i0 * bStride, bStride, brs, bcs, c, cOff + i0 * cStride, cStride, ldc, acc, i1 - i0,
                        postScale, postShift, postOff, postCap);
                return;
            }
            int tilesN = (n + NR - 1) / NR, tilesM = (m + MR - 1) / MR;
            // split the dimension with more tiles; each part packs the other operand itself (a tall tn product split by
            // columns left each part a thin panel, read A in place column by column, and ran 2× slower than on one thread)
            // — except that nt splits by columns whenever each part gets a strip of them: split by rows, every part made
            // the transposing copy of all of B (or, few rows no longer swapping, lost swapsNt), which costs about as much
            // as a part's multiply-adds; two threads took longer than one on 32 × 144 × 256 and 64 × 64 × 512
            if (tilesN >= tilesM || splitsNtByColumns(brs, bcs, tilesN, parts)) {
                int t0 = (int) ((long) tilesN * part / parts), t1 = (int) ((long) tilesN * (part + 1) / parts);
                int j0 = t0 * NR, j1 = Math.min(n, t1 * NR);
                for (int q = 0; j1 > j0 && q < sumCount; q++) {
                    sequential(m, j1 - j0, k, a, aOff + q * aStride, ars, acs, b, bOff + q * bStride + j0 * bcs, brs, bcs, c, cOff + j0, ldc,
                            acc || q > 0, KC, MC, NC, IN_PLACE_MAX_N);
                }
            } else {
                int t0 = (int) ((long) tilesM * part / parts), t1 = (int) ((long) tilesM * (part + 1) / parts);
                int i0 = t0 * MR, i1 = Math.min(m, t1 * MR);
                for (int q = 0; i1 > i0 && q < sumCount; q++) {
                    sequential(i1 - i0, n, k, a, aOff + q * aStride + i0 * ars, ars, acs, b, bOff + q * bStride, brs, bcs, c, cOff + i0 * ldc, ldc,
                            acc || q > 0, KC, MC, NC, IN_PLACE_MAX_N);
                }
            }
        }
    }

    /** Whether a split product with B's columns the contiguous rows of a stored matrix (nt) goes by columns: at least a strip per part. */
    static boolean splitsNtByColumns(int brs, int bcs, int tilesN, int parts) {
        return brs == 1 && bcs != 1 && tilesN >= parts;
    }

    /**
     * C_q (+)= A_q · B_q for q &lt; count, each at its own offset (q·aStride, q·bStride, q·cStride): independent products
     * of one shape — Winograd's 16, one per tile position — in one call on the pool instead of one per product. The
     * count × tiles output tiles (columns, or rows when there are more of those, as {@link Job#run} splits one product)
     * are dealt out evenly across the parts, each part taking a contiguous run of them through {@link #sequential};
     * a product's elements are computed the same way however its tiles fall, so the result is each product's on its
     * own, bit for bit, for any thread count.
     */
    static void runMany(Workers w, int count, int m, int n, int k, float[] a, int aOff, int ars, int acs, int aStride,
                        float[] b, int bOff, int brs, int bcs, int bStride, float[] c, int cOff, int ldc, int cStride, boolean acc) {
        if (w == null || w.threads() == 1) {
            for (int q = 0; q < count; q++) {
                sequential(m, n, k, a, aOff + q * aStride, ars, acs, b, bOff + q * bStride, brs, bcs, c, cOff + q * cStride, ldc, acc,
                        KC, MC, NC, IN_PLACE_MAX_N);
            }
            return;
        }
        Job j = w.gemm;
        j.set(m, n, k, a, aOff, ars, acs, b, bOff, brs, bcs, c, cOff, ldc, acc);
        j.manyCount = count; j.aStride = aStride; j.bStride = bStride; j.cStride = cStride;
        j.runOn(w);
    }

    static void run(Workers w, int m, int n, int k, float[] a, int aOff, int ars, int acs, float[] b, int bOff, int brs, int bcs,
                    float[] c, int cOff, int ldc, boolean acc) {
        if (w == null || w.threads() == 1) {
            sequential(m, n, k, a, aOff, ars, acs, b, bOff, brs, bcs, c, cOff, ldc, acc, KC, MC, NC, IN_PLACE_MAX_N);
            return;
        }
        Job j = w.gemm;
        j.set(m, n, k, a, aOff, ars, acs, b, bOff, brs, bcs, c, cOff, ldc, acc);
        j.runOn(w);
    }

    /**
     * C (+)= Σ_q A_q · B_q for q &lt; count (A_q at aOff + q·aStride, B_q at bOff + q·bStride) — a 1×1 convolution's
     * weight gradient summed over the images — as one split call: each part adds the images' products to its own
     * tiles of C in image order, so the result is the per-image loop's bit for bit, for any thread count.
     */
    static void runSum(Workers w, int m, int n, int k, float[] a, int aOff, int ars, int acs, int aStride, float[] b, int bOff, int brs,
                       int bcs, int bStride, float[] c, int cOff, int ldc, boolean acc, int count) {
        if (w == null || w.threads() == 1) {
            for (int q = 0; q < count; q++) {
                sequential(m, n, k, a, aOff + q * aStride, ars, acs, b, bOff + q * bStride, brs, bcs, c, cOff, ldc, acc || q > 0,
                        KC, MC, NC, IN_PLACE_MAX_N);
            }
            return;
        }
        Job j = w.gemm;
        j.set(m, n, k, a, aOff, ars, acs, b, bOff, brs, bcs, c, cOff, ldc, acc);
        j.sumCount = count; j.aStride = aStride; j.bStride = bStride;
        j.runOn(w);
    }

    /**
     * C_i (+)= A · B_i for i &lt; count, one A for all (a convolution's weights against each image of a batch):
     * A is packed once for the whole call instead of once per product. Split over threads by whole products.
     * Each product is computed exactly as {@link #sequential} would (same slices, same kernel), so batching
     * never changes a result.
     */
    static void runBatch(Workers w, int m, int n, int k, float[] a, int aOff, int ars, int acs, float[] b, int bOff, int bStride,
                         int brs, int bcs, float[] c, int cOff, int cStride, int ldc, boolean acc, int count) {
        runBatch(w, m, n, k, a, aOff, ars, acs, b, bOff, bStride, brs, bcs, c, cOff, cStride, ldc, acc, count, null, null, 0, 0f);
    }

    /**
     * {@link #runBatch} with an epilogue when {@code postScale} is non-null: right after each product, on the thread that
     * computed it and while it is in cache, row r of C_i ← clamp(postScale[postOff + r] · row + postShift[postOff + r], 0,
     * postCap) ({@link Elementwise#rowsScaleShiftClamp}) — a frozen BN and its activation after a 1×1 convolution.
     */
    static void runBatch(Workers w, int m, int n, int k, float[] a, int aOff, int ars, int acs, float[] b, int bOff, int bStride,
                         int brs, int bcs, float[] c, int cOff, int cStride, int ldc, boolean acc, int count,
                         float[] postScale, float[] postShift, int postOff, float postCap) {
        if (w == null || w.threads() == 1 || count == 1) {
            batch(m, n, k, a, aOff, ars, acs, b, bOff, bStride, brs, bcs, c, cOff, cStride, ldc, acc, count, postScale, postShift, postOff, postCap);
            return;
        }
        Job j = w.gemm;
        j.set(m, n, k, a, aOff, ars, acs, b, bOff, brs, bcs, c, cOff, ldc, acc);
        j.count = count; j.bStride = bStride; j.cStride = cStride;
        j.postScale = postScale; j.postShift = postShift; j.postOff = postOff; j.postCap = postCap;
        j.runOn(w);
    }

    /**
     * One thread's batch: A packed whole (slice by slice, block by block, as {@link #packA} lays them out), then each
     * product, followed by the epilogue on it when {@code postScale} is non-null (see {@link #runBatch}).
     */
    static void batch(int m, int n, int k, float[] a, int aOff, int ars, int acs, float[] b, int bOff, int bStride, int brs, int bcs,
                      float[] c, int cOff, int cStride, int ldc, boolean acc, int count,
                      float[] postScale, float[] postShift, int postOff, float postCap) {
        Buffers buf = BUFFERS.get();
        buf.allOwner = null;   // overwritten below: not reusable by a later runReusingA
        float[] all = packWhole(buf, a, aOff, ars, acs, m, k);
        for (int q = 0; q < count; q++) {
            productPacked(m, n, k, all, b, bOff + q * bStride, brs, bcs, c, cOff + q * cStride, ldc, acc);
            if (postScale != null) Elementwise.rowsScaleShiftClamp(c, cOff + q * cStride, m, n, ldc, postScale, postShift, postOff, postCap);
        }
    }

    /** The calling thread's {@code all} ← A(M, K) packed whole: slice p0 of depth kb, block i0 at p0·mPad + i0·kb. */
    private static float[] packWhole(Buffers buf, float[] a, int aOff, int ars, int acs, int m, int k) {
        int mPad = (m + MR - 1) / MR * MR;
        if (buf.all.length < mPad * k) buf.all = new float[mPad * k];
        float[] all = buf.all;
        for (int p0 = 0; p0 < k; p0 += KC) {
            int kb = Math.min(KC, k - p0);
            for (int i0 = 0; i0 < m; i0 += MC) {
                packA(a, aOff + i0 * ars + p0 * acs, ars, acs, Math.min(MC, m - i0), kb, all, p0 * mPad + i0 * kb);
            }
        }
        return all;
    }

    /**
     * C (+)= A · B with A already packed whole in {@code all} ({@link #packWhole}); B packed here panel by panel.
     * The same slices, blocks and kernel as {@link #sequential}, so the result is the same bit for bit.
     */
    static void productPacked(int m, int n, int k, float[] all, float[] b, int bOff, int brs, int bcs,
                              float[] c, int cOff, int ldc, boolean acc) {
        Buffers buf = BUFFERS.get();
        if (buf.b.length < KC * NC) buf.b = new float[KC * NC];
        float[] pb = buf.b, tile = buf.tile;
        int mPad = (m + MR - 1) / MR * MR;
        for (int j0 = 0; j0 < n; j0 += NC) {
            int nb = Math.min(NC, n - j0);
            for (int p0 = 0; p0 < k; p0 += KC) {
                int kb = Math.min(KC, k - p0);
                boolean add = acc || p0 > 0;
                packB(b, bOff + p0 * brs + j0 * bcs, brs, bcs, kb, nb, pb);
                for (int i0 = 0; i0 < m; i0 += MC) {
                    int mb = Math.min(MC, m - i0), ab = p0 * mPad + i0 * kb;
                    for (int jr = 0; jr < nb; jr += NR) {
                        int nr = Math.min(NR, nb - jr), bo = jr * kb;
                        for (int ir = 0; ir < mb; ir += MR) {
                            int mr = Math.min(MR, mb - ir), co = cOff + (i0 + ir) * ldc + j0 + jr;
                            if (mr == MR && nr == NR) {
                                kernel(kb, all, ab + ir * kb, pb, bo, c, co, ldc, add, tile);
                            } else {
                                kernelToTile(mr, kb, all, ab + ir * kb, pb, bo, tile);
                                writeBack(tile, c, co, ldc, add, mr, nr);
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * One product C (+)= A · B whose A the caller may declare unchanged since its previous call on this thread
     * ({@code aUnchanged}): a convolution's weights against one chunk of images after another. A is packed whole
     * on the calling thread — or not at all when that thread's packed copy is of the same A (same array, offset,
     * strides and shape) and the caller says its values have not changed — and the product is split over threads
     * by columns, every part reading the one packed A. Results are those of {@link #run} bit for bit.
     */
    static void runReusingA(Workers w, boolean aUnchanged, int m, int n, int k, float[] a, int aOff, int ars, int acs,
                            float[] b, int bOff, int brs, int bcs, float[] c, int cOff, int ldc, boolean acc) {
        runReusingA(w, aUnchanged, m, n, k, a, aOff, ars, acs, b, bOff, brs, bcs, c, cOff, ldc, acc, null, null, 0, 0f);
    }

    /**
     * {@link #runReusingA} with an epilogue when {@code postScale} is non-null: each part, right after its columns of
     * the product, applies row r ← clamp(postScale[postOff + r] · row + postShift[postOff + r], 0, postCap) to them.
     */
    static void runReusingA(Workers w, boolean aUnchanged, int m, int n, int k, float[] a, int aOff, int ars, int acs,
                            float[] b, int bOff, int brs, int bcs, float[] c, int cOff, int ldc, boolean acc,
                            float[] postScale, float[] postShift, int postOff, float postCap) {
        Buffers buf = BUFFERS.get();
        boolean same = aUnchanged && buf.allOwner == a && buf.allOff == aOff && buf.allRs == ars && buf.allCs == acs
                && buf.allM == m && buf.allK == k;
        float[] all = same ? buf.all : packWhole(buf, a, aOff, ars, acs, m, k);
        buf.allOwner = a; buf.allOff = aOff; buf.allRs = ars; buf.allCs = acs; buf.allM = m; buf.allK = k;
        if (w == null || w.threads() == 1) {
            productPacked(m, n, k, all, b, bOff, brs, bcs, c, cOff, ldc, acc);
            if (postScale != null) Elementwise.rowsScaleShiftClamp(c, cOff, m, n, ldc, postScale, postShift, postOff, postCap);
            return;
        }
        Job j = w.gemm;
        j.set(m, n, k, null, 0, 0, 0, b, bOff, brs, bcs, c, cOff, ldc, acc);   // A: the packed copy
        j.packed = all;
        j.postScale = postScale; j.postShift = postShift; j.postOff = postOff; j.postCap = postCap;
        j.runOn(w);
    }

    /**
     * One thread's blocked product. Block sizes and the in-place limit are parameters so that tests can make every
     * edge and both ways of reading A occur on small shapes; {@code kc}, {@code mc} and {@code nc} must be
     * multiples of 1, MR and NR.
     */
    static void sequential(int m, int n, int k, float[] a, int aOff, int ars, int acs, float[] b, int bOff, int brs, int bcs,
                           float[] c, int cOff, int ldc, boolean acc, int kc, int mc, int nc, int inPlaceMaxN) {
        if (swapsNt(m, n, ars, acs, brs, bcs, inPlaceMaxN)) {   // Cᵀ = B · Aᵀ: B's rows in place, only A packed
            product(n, m, k, b, bOff, bcs, brs, a, aOff, acs, ars, c, cOff, ldc, acc, kc, mc, nc, inPlaceMaxN, true);
        } else {
            product(m, n, k, a, aOff, ars, acs, b, bOff, brs, bcs, c, cOff, ldc, acc, kc, mc, nc, inPlaceMaxN, false);
        }
    }

    /**
     * Whether an nt product (A row-major, B's columns the contiguous rows of a stored (N, K) matrix) with few rows is
     * computed as its transpose Cᵀ(N, M) = B · Aᵀ. The blocked product packs B by a transposing copy, about as costly per
     * element as the M multiply-adds it then serves when M is a few dozen (weight gradients dY · colᵀ with 16–64 output
     * channels ran at ~30 % of peak). Transposed, B's rows are read in place (M ≤ the in-place limit) and only A, the
     * smaller operand, is packed; the price is the lanes past M in its last strip, so M must fill it more than half
     * (M mod NR = 0 or &gt; NR / 2). Measured alone, transposed / as is, alternating in one JVM: at 512 bits (NR 32) M = 24
     * and 32 took 0.51–1.03 of the time (24 × 144 × 1024 0.51, 32 × 144 × 256 0.67, 32 × 192 × 256 0.72), M = 16 1.22,
     * M = 40 1.29–1.48, M = 64 and 96 1.02–1.14; at 128 bits (NR 8) M = 16–32 0.78–0.93, M ≥ 40 1.03–1.21 — hence
     * M ≤ {@link #SWAP_MAX_M}. Every element is the same fused multiply-add chain either way (the factors of each product
     * swapped), added to C once per K slice: the same bits.
     */
    static boolean swapsNt(int m, int n, int ars, int acs, int brs, int bcs, int inPlaceMaxN) {
        return acs == 1 && brs == 1 && bcs != 1 && m < n && m <= SWAP_MAX_M && m <= inPlaceMaxN && (m % NR == 0 || m % NR > NR / 2);
    }

    /** Rows of the largest nt product {@link #swapsNt} transposes. */
    static final int SWAP_MAX_M = 32;

    /**
     * {@link #sequential}'s loop nest; with {@code cT} the product is Cᵀ: its element (r, j) goes to C(j, r) at
     * cOff + j·ldc + r, always through the tile ({@link #writeBackTransposed}).
     */
    static void product(int m, int n, int k, float[] a, int aOff, int ars, int acs, float[] b, int bOff, int brs, int bcs,
                        float[] c, int cOff, int ldc, boolean acc, int kc, int mc, int nc, int inPlaceMaxN, boolean cT) {
        Buffers buf = BUFFERS.get();
        int needA = mc * kc, needB = kc * nc;
        if (buf.a.length < needA) buf.a = new float[needA];
        if (buf.b.length < needB) buf.b = new float[needB];
        float[] pa = buf.a, pb = buf.b, tile = buf.tile;
        for (int j0 = 0; j0 < n; j0 += nc) {
            int nb = Math.min(nc, n - j0);
            for (int p0 = 0; p0 < k; p0 += kc) {
                int kb = Math.min(kc, k - p0);
                boolean add = acc || p0 > 0;
                packB(b, bOff + p0 * brs + j0 * bcs, brs, bcs, kb, nb, pb);
                // A in place when the panel has few B strips to reuse a packed copy for (a weight gradient's thin N),
                // packed otherwise; a partial strip of rows is always packed (zero rows). Same values, same order:
                // the choice never changes a result. tn's A (stored (K, M)) too: a strip's MR rows at one p are
                // contiguous, and the strip's K rows of A stay in cache for the next strip. Measured (in place / packed,
                // alternating in one JVM, 8 rows): tn 2304 × 128 × 512 0.81, 320 × 128 × 1280 0.83, 128 × 32 × 128 0.54,
                // 96 × 128 × 24 0.93; at 5 rows 0.61–0.97.
                boolean packed = nb > inPlaceMaxN;
                for (int i0 = 0; i0 < m; i0 += mc) {
                    int mb = Math.min(mc, m - i0);
                    int full = mb - mb % MR;
                    int ai = aOff + i0 * ars + p0 * acs;
                    if (packed) packA(a, ai, ars, acs, mb, kb, pa);
                    else if (full < mb) packA(a, ai + full * ars, ars, acs, mb - full, kb, pa);
                    for (int jr = 0; jr < nb; jr += NR) {
                        int nr = Math.min(NR, nb - jr);
                        int bo = jr * kb;   // strip jr / NR starts at (jr / NR)·NR·kb
                        for (int ir = 0; ir < mb; ir += MR) {
                            int mr = Math.min(MR, mb - ir);
                            int co = cOff + (i0 + ir) * ldc + j0 + jr;
                            if (!cT && mr == MR && nr == NR) {   // a full tile: straight into C, whichever way A is read
                                if (packed) kernel(kb, pa, ir * kb, pb, bo, c, co, ldc, add, tile);
                                else kernelInPlace(kb, a, ai + ir * ars, ars, acs, pb, bo, c, co, ldc, add, tile);
                                continue;
                            }
                            if (packed) kernelToTile(mr, kb, pa, ir * kb, pb, bo, tile);
                            else if (ir < full) kernelInPlace(kb, a, ai + ir * ars, ars, acs, pb, bo, tile, 0, NR, false, tile);
                            else kernelToTile(mr, kb, pa, 0, pb, bo, tile);
                            if (cT) writeBackTransposed(tile, c, cOff + (j0 + jr) * ldc + i0 + ir, ldc, add, mr, nr);
                            else writeBack(tile, c, co, ldc, add, mr, nr);
                        }
                    }
                }
            }
        }
    }

    /** dst ← A's (mb, kb) block in MR-row strips, K-major within a strip ((p, r) at strip·MR·kb + p·MR + r), zero rows past mb. */
    static void packA(float[] a, int off, int ars, int acs, int mb, int kb, float[] dst) {
        packA(a, off, ars, acs, mb, kb, dst, 0);
    }

    static void packA(float[] a, int off, int ars, int acs, int mb, int kb, float[] dst, int dOff) {
        if (ars == 1) {   // columns of A are contiguous (tn: A stored (K, M)): read each stored row once, in order
            int full = mb - mb % MR, tail = mb - full, stripLen = MR * kb;
            for (int p = 0; p < kb; p++) {
                int src = off + p * acs, o = dOff + p * MR;
                for (int s = 0; s < full; s += MR, o += stripLen) {
                    int q = src + s;
                    dst[o] = a[q]; dst[o + 1] = a[q + 1]; dst[o + 2] = a[q + 2]; dst[o + 3] = a[q + 3]; dst[o + 4] = a[q + 4];
                    if (MR == 8) { dst[o + 5] = a[q + 5]; dst[o + 6] = a[q + 6]; dst[o + 7] = a[q + 7]; }
                }
                if (tail > 0) {
                    for (int r = 0; r < tail; r++) dst[o + r] = a[src + full + r];
                    for (int r = tail; r < MR; r++) dst[o + r] = 0f;
                }
            }
            return;
        }
        int d = dOff;
        for (int s = 0; s < mb; s += MR) {
            int rows = Math.min(MR, mb - s);
            if (rows == MR && MR == 8) {
                int s0 = off + s * ars, s1 = s0 + ars, s2 = s1 + ars, s3 = s2 + ars, s4 = s3 + ars, s5 = s4 + ars, s6 = s5 + ars, s7 = s6 + ars;
                for (int p = 0, q = 0; p < kb; p++, q += acs) {
                    int o = d + p * MR;
                    dst[o] = a[s0 + q]; dst[o + 1] = a[s1 + q]; dst[o + 2] = a[s2 + q]; dst[o + 3] = a[s3 + q];
                    dst[o + 4] = a[s4 + q]; dst[o + 5] = a[s5 + q]; dst[o + 6] = a[s6 + q]; dst[o + 7] = a[s7 + q];
                }
            } else if (rows == MR) {   // the rows of a strip read side by side, the strip written in order
                int s0 = off + s * ars, s1 = s0 + ars, s2 = s1 + ars, s3 = s2 + ars, s4 = s3 + ars;
                for (int p = 0, q = 0; p < kb; p++, q += acs) {
                    int o = d + p * MR;
                    dst[o] = a[s0 + q]; dst[o + 1] = a[s1 + q]; dst[o + 2] = a[s2 + q]; dst[o + 3] = a[s3 + q]; dst[o + 4] = a[s4 + q];
                }
            } else {
                for (int r = 0; r < rows; r++) {
                    int src = off + (s + r) * ars;
                    for (int p = 0; p < kb; p++) dst[d + p * MR + r] = a[src + p * acs];
                }
                for (int r = rows; r < MR; r++) for (int p = 0; p < kb; p++) dst[d + p * MR + r] = 0f;
            }
            d += MR * kb;
        }
    }

    /** dst ← B's (kb, nb) block in NR-column strips, K-major within a strip ((p, j) at strip·NR·kb + p·NR + j), zero columns past nb. */
    static void packB(float[] b, int off, int brs, int bcs, int kb, int nb, float[] dst) {
        int d = 0, s0 = 0;
        if (bcs == 1) {   // rows of B are contiguous (nn, tn): the full strips, two vectors per p and strip
            s0 = nb - nb % NR;
            packRows(b, off, brs, kb, s0, dst);
            d = s0 * kb;
        }
        for (int s = s0; s < nb; s += NR) {
            int cols = Math.min(NR, nb - s);
            if (bcs == 1 && cols >= L) {   // a partial strip of at least one vector (N = 24 at 512 bits): three vector stores per p
                // — zeros at [L, NR), then the last L columns at [cols − L, cols), then the first L at [0, L): the later
                // stores overwrite the overlaps with the same columns' values, and [cols, NR) keeps its zeros (NR = 2L).
                // Float by float (three short loops per p) a 128-deep strip of 24 took 1.27 µs, a full one of 32 0.26.
                FloatVector zero = FloatVector.zero(S);
                for (int p = 0; p < kb; p++) {
                    int src = off + p * brs + s, o = d + p * NR;
                    zero.intoArray(dst, o + L);
                    FloatVector.fromArray(S, b, src + cols - L).intoArray(dst, o + cols - L);
                    FloatVector.fromArray(S, b, src).intoArray(dst, o);
                }
            } else if (bcs == 1) {
                for (int p = 0; p < kb; p++) {
                    int src = off + p * brs + s, o = d + p * NR;
                    for (int j = 0; j < cols; j++) dst[o + j] = b[src + j];
                    for (int j = cols; j < NR; j++) dst[o + j] = 0f;
                }
            } else if (brs == 1) {   // nt: B's columns are the contiguous rows of the stored (N, K) matrix
                // eight consecutive floats of one stored row at a time (a third of a cache line, read in order), written
                // NR apart down the strip; measured alone (576 × 1024, 4608 × 128, 2304 × 128, 1152 × 256 stored):
                // 0.52–0.61 of the time of four rows read side by side writing four consecutive floats per p (the
                // previous code, below for strided rows), 0.74–0.77 with sixteen floats per row
                int p = 0;
                for (; p + 8 <= kb; p += 8) {
                    int o = d + p * NR;
                    for (int j = 0; j < cols; j++, o++) {
                        int r = off + (s + j) * bcs + p;
                        dst[o] = b[r]; dst[o + NR] = b[r + 1]; dst[o + 2 * NR] = b[r + 2]; dst[o + 3 * NR] = b[r + 3];
                        dst[o + 4 * NR] = b[r + 4]; dst[o + 5 * NR] = b[r + 5]; dst[o + 6 * NR] = b[r + 6]; dst[o + 7 * NR] = b[r + 7];
                    }
                    for (int j = cols; j < NR; j++, o++) {
                        for (int t = 0; t < 8; t++) dst[o + t * NR] = 0f;
                    }
                }
                for (; p < kb; p++) {
                    int o = d + p * NR;
                    for (int j = 0; j < cols; j++) dst[o + j] = b[off + (s + j) * bcs + p];
                    for (int j = cols; j < NR; j++) dst[o + j] = 0f;
                }
            } else {   // B's columns are strided rows of the stored matrix (not a form Gemm produces; kept general)
                // four stored rows side by side, four consecutive floats written per p (one row at a time wrote
                // single floats NR apart: measured alone, this is ~1.3× faster)
                int quads = cols - cols % 4;
                for (int j = 0; j < quads; j += 4) {
                    int r0 = off + (s + j) * bcs, r1 = r0 + bcs, r2 = r1 + bcs, r3 = r2 + bcs;
                    for (int p = 0, q = 0; p < kb; p++, q += brs) {
                        int o = d + p * NR + j;
                        dst[o] = b[r0 + q]; dst[o + 1] = b[r1 + q]; dst[o + 2] = b[r2 + q]; dst[o + 3] = b[r3 + q];
                    }
                }
                for (int j = quads; j < cols; j++) {
                    int src = off + (s + j) * bcs;
                    for (int p = 0; p < kb; p++) dst[d + p * NR + j] = b[src + p * brs];
                }
                for (int j = cols; j < NR; j++) for (int p = 0; p < kb; p++) dst[d + p * NR + j] = 0f;
            }
            d += NR * kb;
        }
    }

    /**
     * dst ← the full strips of a row-major (kb, full) block of B (full a multiple of NR), as {@link #packB} lays
     * them out. Four rows at a time, each read left to right across every strip: reading one strip down all kb
     * rows instead (16 floats per row, rows a whole plane apart — 4 KiB for a 32 × 32 image's im2col) missed the
     * cache at every row, the hardware prefetcher not following the stride; packing took 18–29 % of a
     * 64 × 1024 × 576 product's time, read row-wise 10–13 % (scratch timers, 3 runs).
     */
    private static void packRows(float[] b, int off, int brs, int kb, int full, float[] dst) {
        int stripLen = NR * kb, p = 0;
        for (; p + 4 <= kb; p += 4) {
            int src = off + p * brs;
            for (int s = 0, o = p * NR; s < full; s += NR, o += stripLen) {
                int q0 = src + s, q1 = q0 + brs, q2 = q1 + brs, q3 = q2 + brs;
                FloatVector.fromArray(S, b, q0).intoArray(dst, o);
                FloatVector.fromArray(S, b, q0 + L).intoArray(dst, o + L);
                FloatVector.fromArray(S, b, q1).intoArray(dst, o + NR);
                FloatVector.fromArray(S, b, q1 + L).intoArray(dst, o + NR + L);
                FloatVector.fromArray(S, b, q2).intoArray(dst, o + 2 * NR);
                FloatVector.fromArray(S, b, q2 + L).intoArray(dst, o + 2 * NR + L);
                FloatVector.fromArray(S, b, q3).intoArray(dst, o + 3 * NR);
                FloatVector.fromArray(S, b, q3 + L).intoArray(dst, o + 3 * NR + L);
            }
        }
        for (; p < kb; p++) {
            int src = off + p * brs;
            for (int s = 0, o = p * NR; s < full; s += NR, o += stripLen) {
                FloatVector.fromArray(S, b, src + s).intoArray(dst, o);
                FloatVector.fromArray(S, b, src + s + L).intoArray(dst, o + L);
            }
        }
    }

    /**
     * The MR × NR micro-kernel: x = Σ_p a(:, p) b(p, :) over a packed strip of A ((p, r) at ao + p·MR + r) and a
     * packed strip of B, stored from the accumulators into the (MR, NR) block of {@code c} at {@code co} with row
     * stride {@code ldc}: C ← x, or C ← x + C when {@code add} (with eight rows through {@code tile}, see {@link #kernel8}).
     * A full tile of the product goes straight into C; a
     * partial one (mr &lt; MR or nr &lt; NR) into the caller's {@code tile} (co 0, ldc NR, no add), whose valid part
     * {@link #writeBack} then stores, so edge elements round as interior ones do. Straight into C saves the round trip
     * through the tile, which cost as much as the loop on the short K of a thin 1 × 1 convolution (K = 16–32).
     *
     * <p>Why five rows: the FMA's latency (4 cycles on Zen 3, two FMA pipes) needs at least 8 independent chains,
     * and with the loads between them 8 are not enough. Measured alone on a strip in L1 (K = 256, this machine):
     * gcc's 4 × 16 kernel ran at 45–64 GFLOPS, 5 × 16 at 54–94, 6 × 16 at 65–89 (a pure FMA loop: 8 chains 79–88,
     * 10 chains 96–100, peak ~100), and C2's Java kernels the same way — 4 rows 46–49 and 5 rows 50–60 in the
     * machine's slow phases, 65–78 and 72–96 in its fast ones, alternating in one JVM (the machine's speed drifts by up
     * to 2× over seconds, so only side-by-side figures compare).
     * Registers bound the rows: C2 compiles this method anew in every run and its register allocation varies
     * with the profile. Six rows (12 accumulators + 2 of B + the broadcasts in 16 AVX2 registers) spilled
     * accumulators inside the loop in 6 of 10 runs (31 instructions and no stack access per step of p, or 45 with
     * 4; 70–99 GFLOPS or 41–43; the reason a 6-row kernel was dropped in an earlier round too),
     * and A padded to 8 per step (for a shift-derived B index) spilled in 6 of 6. Five rows leave a register to
     * spare: 6 of 6 runs compiled a 28–34-instruction loop with no stack access (checked in the disassembly). B's
     * index is a second induction variable (16 / 5 is no shift of A's), which leaves B's range check in the loop
     * (two compare-and-branch pairs; counting p instead and deriving both indices removed B's checks but kept A's, 38
     * instructions, and ran no faster). In a whole step (old and new classes
     * alternating, 11 rounds, one thread) the change from four rows took ResNet18's full step to 0.95 of the time,
     * MobileNetV2's to 0.98 (fine-tuning 1.03, within its 0.85–1.19 spread). That was for AVX2's 16 registers; with
     * AVX-512's 32 eight rows fit at 512 bits ({@link #kernel8}, {@link #rows}).
     */
    static void kernel(int kb, float[] pa, int ao, float[] pb, int bo, float[] c, int co, int ldc, boolean add, float[] tile) {
        if (MR == 8) {   // eight rows store only; an add goes through the tile (kernel8 says why)
            if (add) {
                kernel8(kb, pa, ao, pb, bo, tile, 0, NR);
                writeBack(tile, c, co, ldc, true, 8, NR);
            } else {
                kernel8(kb, pa, ao, pb, bo, c, co, ldc);
            }
            return;
        }
        FloatVector x00 = FloatVector.zero(S), x01 = x00, x10 = x00, x11 = x00, x20 = x00, x21 = x00, x30 = x00, x31 = x00,
                x40 = x00, x41 = x00;
        final int end = ao + kb * MR;
        for (int ap = ao, bp = bo; ap < end; ap += MR, bp += NR) {
            FloatVector b0 = FloatVector.fromArray(S, pb, bp);
            FloatVector b1 = FloatVector.fromArray(S, pb, bp + L);
            FloatVector v = FloatVector.broadcast(S, pa[ap]);
            x00 = v.fma(b0, x00); x01 = v.fma(b1, x01);
            v = FloatVector.broadcast(S, pa[ap + 1]);
            x10 = v.fma(b0, x10); x11 = v.fma(b1, x11);
            v = FloatVector.broadcast(S, pa[ap + 2]);
            x20 = v.fma(b0, x20); x21 = v.fma(b1, x21);
            v = FloatVector.broadcast(S, pa[ap + 3]);
            x30 = v.fma(b0, x30); x31 = v.fma(b1, x31);
            v = FloatVector.broadcast(S, pa[ap + 4]);
            x40 = v.fma(b0, x40); x41 = v.fma(b1, x41);
        }
        int c1 = co + ldc, c2 = c1 + ldc, c3 = c2 + ldc, c4 = c3 + ldc;
        if (add) {
            x00 = x00.add(FloatVector.fromArray(S, c, co)); x01 = x01.add(FloatVector.fromArray(S, c, co + L));
            x10 = x10.add(FloatVector.fromArray(S, c, c1)); x11 = x11.add(FloatVector.fromArray(S, c, c1 + L));
            x20 = x20.add(FloatVector.fromArray(S, c, c2)); x21 = x21.add(FloatVector.fromArray(S, c, c2 + L));
            x30 = x30.add(FloatVector.fromArray(S, c, c3)); x31 = x31.add(FloatVector.fromArray(S, c, c3 + L));
            x40 = x40.add(FloatVector.fromArray(S, c, c4)); x41 = x41.add(FloatVector.fromArray(S, c, c4 + L));
        }
        x00.intoArray(c, co); x01.intoArray(c, co + L);
        x10.intoArray(c, c1); x11.intoArray(c, c1 + L);
        x20.intoArray(c, c2); x21.intoArray(c, c2 + L);
        x30.intoArray(c, c3); x31.intoArray(c, c3 + L);
        x40.intoArray(c, c4); x41.intoArray(c, c4 + L);
    }

    /**
     * {@link #kernel} reading a full strip of A in place through its strides (A(r, p) at ao + r·ars + p·acs), into C or
     * the tile as {@link #kernel}. Full tiles used to go through the tile too: straight into C took nn 96 × 128 × 24 to
     * 0.84 of the time, 64 × 128 × 64 to 0.93.
     */
    static void kernelInPlace(int kb, float[] a, int ao, int ars, int acs, float[] pb, int bo, float[] c, int co, int ldc, boolean add,
                              float[] tile) {
        if (MR == 8) {   // as kernel: an add goes through the tile
            if (add) {
                kernelInPlace8(kb, a, ao, ars, acs, pb, bo, tile, 0, NR);
                writeBack(tile, c, co, ldc, true, 8, NR);
            } else {
                kernelInPlace8(kb, a, ao, ars, acs, pb, bo, c, co, ldc);
            }
            return;
        }
        FloatVector x00 = FloatVector.zero(S), x01 = x00, x10 = x00, x11 = x00, x20 = x00, x21 = x00, x30 = x00, x31 = x00,
                x40 = x00, x41 = x00;
        final int r0 = ao, r1 = ao + ars, r2 = r1 + ars, r3 = r2 + ars, r4 = r3 + ars;
        for (int p = 0, q = 0; p < kb; p++, q += acs, bo += NR) {
            FloatVector b0 = FloatVector.fromArray(S, pb, bo);
            FloatVector b1 = FloatVector.fromArray(S, pb, bo + L);
            FloatVector v = FloatVector.broadcast(S, a[r0 + q]);
            x00 = v.fma(b0, x00); x01 = v.fma(b1, x01);
            v = FloatVector.broadcast(S, a[r1 + q]);
            x10 = v.fma(b0, x10); x11 = v.fma(b1, x11);
            v = FloatVector.broadcast(S, a[r2 + q]);
            x20 = v.fma(b0, x20); x21 = v.fma(b1, x21);
            v = FloatVector.broadcast(S, a[r3 + q]);
            x30 = v.fma(b0, x30); x31 = v.fma(b1, x31);
            v = FloatVector.broadcast(S, a[r4 + q]);
            x40 = v.fma(b0, x40); x41 = v.fma(b1, x41);
        }
        int c1 = co + ldc, c2 = c1 + ldc, c3 = c2 + ldc, c4 = c3 + ldc;
        if (add) {
            x00 = x00.add(FloatVector.fromArray(S, c, co)); x01 = x01.add(FloatVector.fromArray(S, c, co + L));
            x10 = x10.add(FloatVector.fromArray(S, c, c1)); x11 = x11.add(FloatVector.fromArray(S, c, c1 + L));
            x20 = x20.add(FloatVector.fromArray(S, c, c2)); x21 = x21.add(FloatVector.fromArray(S, c, c2 + L));
            x30 = x30.add(FloatVector.fromArray(S, c, c3)); x31 = x31.add(FloatVector.fromArray(S, c, c3 + L));
            x40 = x40.add(FloatVector.fromArray(S, c, c4)); x41 = x41.add(FloatVector.fromArray(S, c, c4 + L));
        }
        x00.intoArray(c, co); x01.intoArray(c, co + L);
        x10.intoArray(c, c1); x11.intoArray(c, c1 + L);
        x20.intoArray(c, c2); x21.intoArray(c, c2 + L);
        x30.intoArray(c, c3); x31.intoArray(c, c3 + L);
        x40.intoArray(c, c4); x41.intoArray(c, c4 + L);
    }

    /**
     * {@link #kernel} into the tile for a strip with {@code mr} valid rows: with eight-row strips, one of at most four
     * valid rows runs only its first four ({@link #kernel4}) rather than eight (a head's ten classes: 8 + 2 rows, 16
     * computed for 10). Every element is the same chain either way: the same bits.
     */
    private static void kernelToTile(int mr, int kb, float[] pa, int ao, float[] pb, int bo, float[] tile) {
        if (MR == 8 && mr <= 4) kernel4(kb, pa, ao, pb, bo, tile);
        else kernel(kb, pa, ao, pb, bo, tile, 0, NR, false, tile);
    }

    /** The first four rows of an eight-row packed strip into the tile's first four rows (eight accumulators). */
    static void kernel4(int kb, float[] pa, int ao, float[] pb, int bo, float[] tile) {
        FloatVector x00 = FloatVector.zero(S), x01 = x00, x10 = x00, x11 = x00, x20 = x00, x21 = x00, x30 = x00, x31 = x00;
        final int end = ao + kb * 8;
        for (int ap = ao, bp = bo; ap < end; ap += 8, bp += NR) {
            FloatVector b0 = FloatVector.fromArray(S, pb, bp);
            FloatVector b1 = FloatVector.fromArray(S, pb, bp + L);
            FloatVector v = FloatVector.broadcast(S, pa[ap]);
            x00 = v.fma(b0, x00); x01 = v.fma(b1, x01);
            v = FloatVector.broadcast(S, pa[ap + 1]);
            x10 = v.fma(b0, x10); x11 = v.fma(b1, x11);
            v = FloatVector.broadcast(S, pa[ap + 2]);
            x20 = v.fma(b0, x20); x21 = v.fma(b1, x21);
            v = FloatVector.broadcast(S, pa[ap + 3]);
            x30 = v.fma(b0, x30); x31 = v.fma(b1, x31);
        }
        x00.intoArray(tile, 0); x01.intoArray(tile, L);
        x10.intoArray(tile, NR); x11.intoArray(tile, NR + L);
        x20.intoArray(tile, 2 * NR); x21.intoArray(tile, 2 * NR + L);
        x30.intoArray(tile, 3 * NR); x31.intoArray(tile, 3 * NR + L);
    }

    /**
     * {@link #kernel} on eight rows: sixteen accumulators, for 32 vector registers (AVX-512, AArch64; {@link #rows}),
     * stored into C (or the tile). It never adds C itself: {@link #kernel} sends an add through the tile and
     * {@link #writeBack} (tile + C, the same bits as x + C).
     *
     * <p>Why: with the add in here (sixteen more loads and adds, and the accumulators merged after {@code if (add)}),
     * C2 compiled this method or {@link #kernelInPlace8} without some of their vector intrinsics in about a third of
     * the JVMs we started ({@code bench gemm}: 1 to 5 of 8 runs, before and after round fourteen's other changes). The
     * compilation log showed the last stores' {@code vspecies()} compiled as a guarded virtual call instead of a trap
     * ("missing constant: vclass" in {@code -XX:+PrintIntrinsics}), so their vectors were boxed: 135 MB allocated per
     * pass over the bench's shapes, and the bench's median ratio fell from about 1.7 to 1.0 (0.4 when both methods
     * failed). C2's node and trap limits did not stop it (larger node limits 1 of 8 runs; larger trap limits and no
     * type speculation made it worse). Without the add: 10 runs of 10 compiled, at median ratios 1.71–1.77. An add
     * now costs a store and a load of the tile per K slice (K ≤ 256 per slice).
     */
    static void kernel8(int kb, float[] pa, int ao, float[] pb, int bo, float[] c, int co, int ldc) {
        FloatVector x00 = FloatVector.zero(S), x01 = x00, x10 = x00, x11 = x00, x20 = x00, x21 = x00, x30 = x00, x31 = x00,
                x40 = x00, x41 = x00, x50 = x00, x51 = x00, x60 = x00, x61 = x00, x70 = x00, x71 = x00;
        final int end = ao + kb * 8;
        for (int ap = ao, bp = bo; ap < end; ap += 8, bp += NR) {
            FloatVector b0 = FloatVector.fromArray(S, pb, bp);
            FloatVector b1 = FloatVector.fromArray(S, pb, bp + L);
            FloatVector v = FloatVector.broadcast(S, pa[ap]);
            x00 = v.fma(b0, x00); x01 = v.fma(b1, x01);
            v = FloatVector.broadcast(S, pa[ap + 1]);
            x10 = v.fma(b0, x10); x11 = v.fma(b1, x11);
            v = FloatVector.broadcast(S, pa[ap + 2]);
            x20 = v.fma(b0, x20); x21 = v.fma(b1, x21);
            v = FloatVector.broadcast(S, pa[ap + 3]);
            x30 = v.fma(b0, x30); x31 = v.fma(b1, x31);
            v = FloatVector.broadcast(S, pa[ap + 4]);
            x40 = v.fma(b0, x40); x41 = v.fma(b1, x41);
            v = FloatVector.broadcast(S, pa[ap + 5]);
            x50 = v.fma(b0, x50); x51 = v.fma(b1, x51);
            v = FloatVector.broadcast(S, pa[ap + 6]);
            x60 = v.fma(b0, x60); x61 = v.fma(b1, x61);
            v = FloatVector.broadcast(S, pa[ap + 7]);
            x70 = v.fma(b0, x70); x71 = v.fma(b1, x71);
        }
        int c1 = co + ldc, c2 = c1 + ldc, c3 = c2 + ldc, c4 = c3 + ldc, c5 = c4 + ldc, c6 = c5 + ldc, c7 = c6 + ldc;
        x00.intoArray(c, co); x01.intoArray(c, co + L);
        x10.intoArray(c, c1); x11.intoArray(c, c1 + L);
        x20.intoArray(c, c2); x21.intoArray(c, c2 + L);
        x30.intoArray(c, c3); x31.intoArray(c, c3 + L);
        x40.intoArray(c, c4); x41.intoArray(c, c4 + L);
        x50.intoArray(c, c5); x51.intoArray(c, c5 + L);
        x60.intoArray(c, c6); x61.intoArray(c, c6 + L);
        x70.intoArray(c, c7); x71.intoArray(c, c7 + L);
    }

    /** {@link #kernelInPlace} on eight rows, stored into C or the tile as {@link #kernel8} (no add, for the same reason). */
    static void kernelInPlace8(int kb, float[] a, int ao, int ars, int acs, float[] pb, int bo, float[] c, int co, int ldc) {
        FloatVector x00 = FloatVector.zero(S), x01 = x00, x10 = x00, x11 = x00, x20 = x00, x21 = x00, x30 = x00, x31 = x00,
                x40 = x00, x41 = x00, x50 = x00, x51 = x00, x60 = x00, x61 = x00, x70 = x00, x71 = x00;
        final int r0 = ao, r1 = ao + ars, r2 = r1 + ars, r3 = r2 + ars, r4 = r3 + ars, r5 = r4 + ars, r6 = r5 + ars, r7 = r6 + ars;
        for (int p = 0, q = 0; p < kb; p++, q += acs, bo += NR) {
            FloatVector b0 = FloatVector.fromArray(S, pb, bo);
            FloatVector b1 = FloatVector.fromArray(S, pb, bo + L);
            FloatVector v = FloatVector.broadcast(S, a[r0 + q]);
            x00 = v.fma(b0, x00); x01 = v.fma(b1, x01);
            v = FloatVector.broadcast(S, a[r1 + q]);
            x10 = v.fma(b0, x10); x11 = v.fma(b1, x11);
            v = FloatVector.broadcast(S, a[r2 + q]);
            x20 = v.fma(b0, x20); x21 = v.fma(b1, x21);
            v = FloatVector.broadcast(S, a[r3 + q]);
            x30 = v.fma(b0, x30); x31 = v.fma(b1, x31);
            v = FloatVector.broadcast(S, a[r4 + q]);
            x40 = v.fma(b0, x40); x41 = v.fma(b1, x41);
            v = FloatVector.broadcast(S, a[r5 + q]);
            x50 = v.fma(b0, x50); x51 = v.fma(b1, x51);
            v = FloatVector.broadcast(S, a[r6 + q]);
            x60 = v.fma(b0, x60); x61 = v.fma(b1, x61);
            v = FloatVector.broadcast(S, a[r7 + q]);
            x70 = v.fma(b0, x70); x71 = v.fma(b1, x71);
        }
        int c1 = co + ldc, c2 = c1 + ldc, c3 = c2 + ldc, c4 = c3 + ldc, c5 = c4 + ldc, c6 = c5 + ldc, c7 = c6 + ldc;
        x00.intoArray(c, co); x01.intoArray(c, co + L);
        x10.intoArray(c, c1); x11.intoArray(c, c1 + L);
        x20.intoArray(c, c2); x21.intoArray(c, c2 + L);
        x30.intoArray(c, c3); x31.intoArray(c, c3 + L);
        x40.intoArray(c, c4); x41.intoArray(c, c4 + L);
        x50.intoArray(c, c5); x51.intoArray(c, c5 + L);
        x60.intoArray(c, c6); x61.intoArray(c, c6 + L);
        x70.intoArray(c, c7); x71.intoArray(c, c7 + L);
    }

    /** The tile's valid (mr, nr) part transposed into C: tile (r, j) to c[co + j·ldc + r] (or added to it). */
    private static void writeBackTransposed(float[] tile, float[] c, int co, int ldc, boolean add, int mr, int nr) {
        for (int j = 0; j < nr; j++) {
            int cj = co + j * ldc;
            if (add) for (int r = 0; r < mr; r++) c[cj + r] += tile[r * NR + j];
            else for (int r = 0; r < mr; r++) c[cj + r] = tile[r * NR + j];
        }
    }

    /**
     * C's valid (mr, nr) corner ← tile, or C + tile when {@code add}: two vectors per row when it is at least a vector
     * wide, element by element below that (the same additions either way: float addition commutes exactly).
     */
    private static void writeBack(float[] tile, float[] c, int co, int ldc, boolean add, int mr, int nr) {
        if (nr >= L) {   // at least one vector wide: the first L columns and the last L (the two vectors of a full tile;
            // overlapping when nr < NR), both read (and added to C) before either is stored, so a column in both gets the
            // same value twice
            for (int i = 0; i < mr; i++) {
                int ci = co + i * ldc, ti = i * NR, e = nr - L;
                FloatVector t0 = FloatVector.fromArray(S, tile, ti), t1 = FloatVector.fromArray(S, tile, ti + e);
                if (add) {
                    t0 = t0.add(FloatVector.fromArray(S, c, ci));
                    t1 = t1.add(FloatVector.fromArray(S, c, ci + e));
                }
                t0.intoArray(c, ci);
                t1.intoArray(c, ci + e);
            }
            return;
        }
        for (int i = 0; i < mr; i++) {
            int ci = co + i * ldc, ti = i * NR;
            if (add) for (int j = 0; j < nr; j++) c[ci + j] += tile[ti + j];
            else for (int j = 0; j < nr; j++) c[ci + j] = tile[ti + j];
        }
    }
}
