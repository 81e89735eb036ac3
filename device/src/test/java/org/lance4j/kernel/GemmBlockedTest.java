package org.lance4j.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.lance4j.testutil.Assert;
import org.lance4j.testutil.Rnd;

/**
 * The packed, cache-blocked GEMM ({@link GemmBlocked}) against the scalar references: every form, shapes
 * that are not multiples of the micro-tile, with tiny block sizes so that several K slices, row blocks and
 * column panels (and their edges) occur on small shapes, A packed and A read in place, offsets and padded
 * leading dimensions. Then the promises the multi-core path rests on: the same bits for 1, 2 and 3 threads,
 * and for A packed or in place; and the worker pool's own contract.
 */
class GemmBlockedTest {
    enum Form { NN, NT, TN }

    /** (kc, mc, nc, in-place limit): tiny blocks with A packed, tiny blocks with A in place, the defaults. */
    static final int[][] BLOCKS = {
        {7, 2 * GemmBlocked.MR, 2 * GemmBlocked.NR, 0},
        {5, GemmBlocked.MR, GemmBlocked.NR, Integer.MAX_VALUE},
        {GemmBlocked.KC, GemmBlocked.MC, GemmBlocked.NC, GemmBlocked.IN_PLACE_MAX_N},
    };

    @Test
    void blockedMatchesScalarReference() {
        Rnd r = new Rnd(11);
        int nr = GemmBlocked.NR, mr = GemmBlocked.MR;
        int[] ms = {mr, mr + 1, 2 * mr - 1, 3 * mr + 2, 29};
        // partial strips narrower than a vector (3, and 5 above 128 bits), of one vector and more (L + 3, 2L − 1: packed and
        // written back as two overlapping vectors)
        int[] ns = {nr, nr + 3, nr + nr / 2 + 3, 2 * nr - 1, 3 * nr + 5};
        int[] ks = {1, 6, 15, 23};
        int cases = 0;
        for (int[] blk : BLOCKS) {
            for (Form f : Form.values()) {
                for (int m : ms) {
                    for (int n : ns) {
                        for (int k : ks) {
                            check(f, m, n, k, (m + n + k) % 2 == 0, blk, r);
                            cases++;
                        }
                    }
                }
            }
        }
        // and K across the default slice depth, with the default blocks
        for (Form f : Form.values()) {
            check(f, 2 * GemmBlocked.MC + 5, GemmBlocked.NC + 3, GemmBlocked.KC + 37, true, BLOCKS[2], r);
            check(f, 13, 3 * nr + 1, 2 * GemmBlocked.KC + 1, false, BLOCKS[2], r);
            cases += 2;
        }
        assertEquals(3 * 3 * 5 * 5 * 4 + 6, cases);
    }

    private static void check(Form f, int m, int n, int k, boolean acc, int[] blk, Rnd r) {
        int pad = 3, off = 5;
        int lda = (f == Form.TN ? m : k) + pad, ldb = (f == Form.NT ? k : n) + pad, ldc = n + 2;
        float[] a = r.uniform(off + (f == Form.TN ? k : m) * lda), b = r.uniform(off + (f == Form.NT ? n : k) * ldb);
        float[] c0 = r.uniform(off + m * ldc + 4);
        float[] cs = c0.clone(), cv = c0.clone();
        int ars = f == Form.TN ? 1 : lda, acs = f == Form.TN ? lda : 1;
        int brs = f == Form.NT ? 1 : ldb, bcs = f == Form.NT ? ldb : 1;
        switch (f) {
            case NN -> Gemm.nnScalar(m, n, k, a, off, lda, b, off, ldb, cs, off, ldc, acc);
            case NT -> Gemm.ntScalar(m, n, k, a, off, lda, b, off, ldb, cs, off, ldc, acc);
            default -> Gemm.tnScalar(m, n, k, a, off, lda, b, off, ldb, cs, off, ldc, acc);
        }
        GemmBlocked.sequential(m, n, k, a, off, ars, acs, b, off, brs, bcs, cv, off, ldc, acc, blk[0], blk[1], blk[2], blk[3]);
        // whole arrays: nothing outside C (offset, padding columns, the tail) was written
        Assert.close(f + " " + m + "×" + n + "×" + k + " acc=" + acc + " blocks=" + java.util.Arrays.toString(blk), cs, cv,
                4e-7 * k + 1e-6, 1e-5);
    }

    @Test
    void threadCountsGiveIdenticalBits() {
        Rnd r = new Rnd(12);
        // wide (split by column panels), tall and thin (split by row blocks), and a shape with edges both ways
        // (thin: NR + 5 columns, one full strip and a partial one at any vector width); and nt with few rows, computed
        // transposed (swapsNt) and split by columns even when it has more row tiles (splitsNtByColumns)
        int[][] shapes = {{37, 301, 70}, {301, GemmBlocked.NR + 5, 90}, {67, 67, 300}, {32, 144, 70}};
        try (Workers w2 = new Workers(2); Workers w3 = new Workers(3)) {
            for (int[] s : shapes) {
                int m = s[0], n = s[1], k = s[2];
                assertTrue(Gemm.blocked(m, n, k), "shape takes the blocked path");
                for (Form f : Form.values()) {
                    float[] a = r.uniform(m * k), b = r.uniform(k * n), c0 = r.uniform(m * n);
                    float[] c1 = c0.clone(), c2 = c0.clone(), c3 = c0.clone();
                    call(f, null, m, n, k, a, b, c1);
                    call(f, w2, m, n, k, a, b, c2);
                    call(f, w3, m, n, k, a, b, c3);
                    assertArrayEquals(c1, c2, f + " " + m + "×" + n + "×" + k + ": 2 threads");
                    assertArrayEquals(c1, c3, f + " " + m + "×" + n + "×" + k + ": 3 threads");
                }
            }
        }
    }

    private static void call(Form f, Workers w, int m, int n, int k, float[] a, float[] b, float[] c) {
        switch (f) {
            case NN -> Gemm.nn(w, m, n, k, a, 0, k, b, 0, n, c, 0, n, true);
            case NT -> Gemm.nt(w, m, n, k, a, 0, k, b, 0, k, c, 0, n, true);
            default -> Gemm.tn(w, m, n, k, a, 0, m, b, 0, n, c, 0, n, true);
        }
    }

    @Test
    void batchCallsGiveTheBitsOfSingleProducts() {
        Rnd r = new Rnd(14);
        int m = 2 * GemmBlocked.MC + 7, n = 45, k = GemmBlocked.KC + 19, count = 5, bStride = k * n + 3, cStride = m * n + 5;
        float[] b = r.uniform(count * bStride), c0 = r.uniform(count * cStride + 2);
        for (Form f : new Form[] {Form.NN, Form.TN}) {
            int lda = f == Form.NN ? k : m;
            float[] a = r.uniform(m * k);
            float[] single = c0.clone();
            for (int i = 0; i < count; i++) {
                if (f == Form.NN) Gemm.nn(m, n, k, a, 0, lda, b, i * bStride, n, single, i * cStride, n, true);
                else Gemm.tn(m, n, k, a, 0, lda, b, i * bStride, n, single, i * cStride, n, true);
            }
            for (int threads = 1; threads <= 3; threads++) {
                try (Workers w = new Workers(threads)) {
                    float[] batch = c0.clone();
                    if (f == Form.NN) Gemm.nnBatch(w, m, n, k, a, 0, lda, b, 0, n, bStride, batch, 0, n, cStride, count, true);
                    else Gemm.tnBatch(w, m, n, k, a, 0, lda, b, 0, n, bStride, batch, 0, n, cStride, count, true);
                    assertArrayEquals(single, batch, f + " batch of " + count + " on " + w);
                }
            }
        }
    }

    @Test
    void reusingAGivesTheBitsOfSingleProductsAndReallyReuses() {
        Rnd r = new Rnd(15);
        // several K slices and row blocks, edges both ways; n split over up to 3 threads by columns
        int m = GemmBlocked.MC + 7, n = 3 * GemmBlocked.NR + 5, k = GemmBlocked.KC + 19;
        assertTrue(Gemm.blocked(m, n, k), "shape takes the blocked path");
        for (Form f : new Form[] {Form.NN, Form.TN}) {
            int lda = f == Form.NN ? k : m;
            float[] a = r.uniform(m * k + 3), b1 = r.uniform(k * n), b2 = r.uniform(k * n), c0 = r.uniform(m * n);
            for (int threads = 1; threads <= 3; threads++) {
                try (Workers w = new Workers(threads)) {
                    float[] fresh1 = c0.clone(), fresh2 = c0.clone(), reused1 = c0.clone(), reused2 = c0.clone();
                    product(f, w, false, m, n, k, a, 3, lda, b1, fresh1, false);
                    product(f, w, false, m, n, k, a, 3, lda, b2, fresh2, false);
                    product(f, w, false, m, n, k, a, 3, lda, b1, reused1, true);
                    product(f, w, true, m, n, k, a, 3, lda, b2, reused2, true);
                    assertArrayEquals(fresh1, reused1, f + " first call, " + threads + " threads");
                    assertArrayEquals(fresh2, reused2, f + " packed A reused, " + threads + " threads");

                    // the packed copy really is reused: A changed behind a promise that it did not keeps the old product
                    float[] a2 = a.clone();
                    product(f, w, false, m, n, k, a2, 3, lda, b1, c0.clone(), true);
                    a2[3 + 5] += 1f;
                    float[] stale = c0.clone(), repacked = c0.clone();
                    product(f, w, true, m, n, k, a2, 3, lda, b2, stale, true);
                    // (scalar builds have no packed path: there the promise changes nothing and A is read as it is)
                    float[] changed = c0.clone();
                    product(f, w, false, m, n, k, a2, 3, lda, b2, changed, false);
                    assertArrayEquals(Vec.ENABLED ? fresh2 : changed, stale, f + ": promised unchanged, packed copy reused");
                    // …and it is never reused for another array, offset or shape, nor after a batch call overwrote it
                    product(f, w, true, m, n, k, a, 3, lda, b2, repacked, true);
                    assertArrayEquals(fresh2, repacked, f + ": another array is packed afresh");
                    product(f, w, false, m, n, k, a2, 3, lda, b1, c0.clone(), true);
                    if (f == Form.NN) Gemm.nnBatch(null, m, n, k, a, 3, lda, b1, 0, n, 0, c0.clone(), 0, n, 0, 1, false);
                    else Gemm.tnBatch(null, m, n, k, a, 3, lda, b1, 0, n, 0, c0.clone(), 0, n, 0, 1, false);
                    float[] afterBatch = c0.clone(), expected = c0.clone();
                    product(f, w, true, m, n, k, a2, 3, lda, b2, afterBatch, true);
                    product(f, w, false, m, n, k, a2, 3, lda, b2, expected, false);
                    assertArrayEquals(expected, afterBatch, f + ": a batch call in between discards the packed copy");
                }
            }
        }
    }

    /** C = A·B (or Aᵀ·B for TN) through the plain entry point or the reusing one. */
    private static void product(Form f, Workers w, boolean unchanged, int m, int n, int k, float[] a, int aOff, int lda, float[] b,
                                float[] c, boolean reusing) {
        if (f == Form.NN) {
            if (reusing) Gemm.nnReusingA(w, unchanged, m, n, k, a, aOff, lda, b, 0, n, c, 0, n, false);
            else Gemm.nn(w, m, n, k, a, aOff, lda, b, 0, n, c, 0, n, false);
        } else {
            if (reusing) Gemm.tnReusingA(w, unchanged, m, n, k, a, aOff, lda, b, 0, n, c, 0, n, false);
            else Gemm.tn(w, m, n, k, a, aOff, lda, b, 0, n, c, 0, n, false);
        }
    }

    @Test
    void summedProductsGiveTheBitsOfTheLoop() {
        Rnd r = new Rnd(16);
        // tall (split by rows) and wide (split by columns), K over several slices, edges both ways
        int[][] shapes = {{GemmBlocked.MC + 7, GemmBlocked.NR + 5, GemmBlocked.KC + 30}, {13, 5 * GemmBlocked.NR + 3, 100}};
        for (int[] sh : shapes) {
            int m = sh[0], n = sh[1], k = sh[2], count = 4, aStride = m * k + 5, bStride = n * k + 7;
            float[] a = r.uniform(count * aStride), b = r.uniform(count * bStride), c0 = r.uniform(m * n);
            for (boolean acc : new boolean[] {true, false}) {
                float[] loop = c0.clone();
                for (int q = 0; q < count; q++) Gemm.nt(m, n, k, a, q * aStride, k, b, q * bStride, k, loop, 0, n, acc || q > 0);
                for (int threads = 1; threads <= 3; threads++) {
                    try (Workers w = new Workers(threads)) {
                        float[] sum = c0.clone();
                        long before = w.calls();
                        Gemm.ntSum(w, m, n, k, a, 0, k, aStride, b, 0, k, bStride, sum, 0, n, count, acc);
                        assertArrayEquals(loop, sum, m + "×" + n + "×" + k + " acc " + acc + " on " + threads + " threads");
                        if (Vec.ENABLED && threads > 1) assertEquals(before + 1, w.calls(), "one split call for the whole sum");
                    }
                }
            }
        }
    }

    /**
     * Independent products in one call (Winograd's 16) give each product's own bits, nn and nt, on 1 to 4 threads:
     * tall (tiles dealt out by rows) and wide (by columns) shapes, with 3 and 16 products, so that parts start and end
     * inside products as well as on their edges.
     */
    @Test
    void manyProductsGiveTheBitsOfSingleProducts() {
        Rnd r = new Rnd(17);
        int[][] shapes = {{GemmBlocked.MC + 7, GemmBlocked.NR + 5, GemmBlocked.KC + 30}, {13, 5 * GemmBlocked.NR + 3, 100}};
        for (int[] sh : shapes) {
            for (int count : new int[] {3, 16}) {
                int m = sh[0], n = sh[1], k = sh[2], aStride = m * k + 5, bStride = n * k + 7, cStride = m * n + 3;
                float[] a = r.uniform(count * aStride), b = r.uniform(count * bStride), c0 = r.uniform(count * cStride);
                for (boolean nt : new boolean[] {false, true}) {
                    for (boolean acc : new boolean[] {true, false}) {
                        float[] loop = c0.clone();
                        for (int q = 0; q < count; q++) {
                            if (nt) Gemm.nt(m, n, k, a, q * aStride, k, b, q * bStride, k, loop, q * cStride, n, acc);
                            else Gemm.nn(m, n, k, a, q * aStride, k, b, q * bStride, n, loop, q * cStride, n, acc);
                        }
                        for (int threads = 1; threads <= 4; threads++) {
                            try (Workers w = new Workers(threads)) {
                                float[] many = c0.clone();
                                long before = w.calls();
                                if (nt) Gemm.ntMany(w, count, m, n, k, a, 0, k, aStride, b, 0, k, bStride, many, 0, n, cStride, acc);
                                else Gemm.nnMany(w, count, m, n, k, a, 0, k, aStride, b, 0, n, bStride, many, 0, n, cStride, acc);
                                String what = (nt ? "nt " : "nn ") + count + " × " + m + "×" + n + "×" + k + " acc " + acc + " on " + threads + " threads";
                                assertArrayEquals(loop, many, what);
                                if (Vec.ENABLED && threads > 1) assertEquals(before + 1, w.calls(), "one split call for all: " + what);
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * nt products with few rows computed transposed (Cᵀ = B · Aᵀ, {@link GemmBlocked#swapsNt}) give the bits of the
     * product as is: every row count the rule transposes at this vector width, N with partial strips of MR rows, K over
     * several slices, stored and added; and through {@link Gemm#nt} on 1–3 threads (parts split the transposed rows).
     */
    @Test
    void transposedNtGivesTheBitsOfTheProductAsIs() {
        Rnd r = new Rnd(18);
        int tested = 0;
        for (int m = 1; m <= 40; m++) {
            int n = 31 * GemmBlocked.MR + 3, k = 2 * GemmBlocked.KC + 37;   // M·N > K (M ≥ 4): Gemm.nt keeps the blocked path
            if (!GemmBlocked.swapsNt(m, n, k, 1, 1, k, GemmBlocked.IN_PLACE_MAX_N)) continue;
            assertTrue(Gemm.blockedNt(m, n, k), "nt " + m + "×" + n + "×" + k + " takes the blocked path");
            float[] a = r.uniform(m * k + 1), b = r.uniform(n * k + 2), c0 = r.uniform(m * n + 3);
            for (boolean acc : new boolean[] {true, false}) {
                float[] asIs = c0.clone(), swapped = c0.clone();
                GemmBlocked.product(m, n, k, a, 1, k, 1, b, 2, 1, k, asIs, 3, n, acc, GemmBlocked.KC, GemmBlocked.MC, GemmBlocked.NC,
                        GemmBlocked.IN_PLACE_MAX_N, false);
                GemmBlocked.sequential(m, n, k, a, 1, k, 1, b, 2, 1, k, swapped, 3, n, acc, GemmBlocked.KC, GemmBlocked.MC, GemmBlocked.NC,
                        GemmBlocked.IN_PLACE_MAX_N);
                assertArrayEquals(asIs, swapped, "nt " + m + "×" + n + "×" + k + " acc " + acc + " transposed");
                for (int threads = 1; threads <= 3; threads++) {
                    try (Workers w = new Workers(threads)) {
                        float[] viaNt = c0.clone();
                        Gemm.nt(w, m, n, k, a, 1, k, b, 2, k, viaNt, 3, n, acc);
                        if (Vec.ENABLED) assertArrayEquals(asIs, viaNt, "Gemm.nt " + m + "×" + n + "×" + k + " acc " + acc + " on " + threads + " threads");
                    }
                }
            }
            tested++;
        }
        assertTrue(tested >= 2, "row counts transposed at this width: " + tested);
    }

    /** The micro-tile's rows: 8 at 512 bits, else 5, or as -Dlance4j.gemm.rows says; a bad value names the flag. */
    @Test
    void microTileRowsFollowTheRegistersOrTheFlag() {
        String was = System.getProperty("lance4j.gemm.rows");
        try {
            if (was == null) {
                assertEquals(Vec.LANES >= 16 ? 8 : 5, GemmBlocked.MR);
            } else {
                assertEquals(Integer.parseInt(was), GemmBlocked.MR);
            }
            assertEquals(GemmBlocked.MR, GemmBlocked.rows());
            assertEquals(0, GemmBlocked.MC % GemmBlocked.MR, "MC a multiple of MR");
            System.setProperty("lance4j.gemm.rows", "5");
            assertEquals(5, GemmBlocked.rows());
            System.setProperty("lance4j.gemm.rows", "6");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, GemmBlocked::rows);
            assertTrue(e.getMessage().startsWith("-Dlance4j.gemm.rows=6: use 8"), e.getMessage());
            System.setProperty("lance4j.gemm.rows", "8");
            if (Vec.LANES >= 16) {
                assertEquals(8, GemmBlocked.rows());
            } else {
                e = assertThrows(IllegalArgumentException.class, GemmBlocked::rows);
                assertTrue(e.getMessage().startsWith("-Dlance4j.gemm.rows=8 needs 512-bit vectors"), e.getMessage());
            }
        } finally {
            if (was == null) System.clearProperty("lance4j.gemm.rows");
            else System.setProperty("lance4j.gemm.rows", was);
        }
    }

    @Test
    void packedAndInPlaceGiveIdenticalBits() {
        Rnd r = new Rnd(13);
        int m = 3 * GemmBlocked.MR + 4, n = 2 * GemmBlocked.NR + 5, k = 41;
        for (Form f : Form.values()) {
            int lda = f == Form.TN ? m : k, ldb = f == Form.NT ? k : n;
            int ars = f == Form.TN ? 1 : lda, acs = f == Form.TN ? lda : 1, brs = f == Form.NT ? 1 : ldb, bcs = f == Form.NT ? ldb : 1;
            float[] a = r.uniform(m * k), b = r.uniform(k * n), p = new float[m * n], q = new float[m * n];
            GemmBlocked.sequential(m, n, k, a, 0, ars, acs, b, 0, brs, bcs, p, 0, n, false, 16, 2 * GemmBlocked.MR, 4 * GemmBlocked.NR, 0);
            GemmBlocked.sequential(m, n, k, a, 0, ars, acs, b, 0, brs, bcs, q, 0, n, false, 16, 2 * GemmBlocked.MR, 4 * GemmBlocked.NR,
                    Integer.MAX_VALUE);
            assertArrayEquals(p, q, f + ": A packed vs in place");
        }
    }

    /**
     * Parts no worker claims are run by the caller once its own is done: a pool of 3 parts with one worker thread, and
     * one with none, still runs every part exactly once per call — the one with none all on the caller's thread.
     */
    @Test
    @org.junit.jupiter.api.Timeout(value = 30, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)   // without the caller's claims, a pool with no worker thread never finishes a call
    void theCallerRunsThePartsNoWorkerClaims() {
        for (int started = 0; started <= 1; started++) {
            try (Workers w = new Workers(3, started)) {
                int[] seen = new int[3];
                boolean[] offCaller = new boolean[1];
                Thread me = Thread.currentThread();
                for (int round = 0; round < 1000; round++) {
                    w.run((part, parts) -> {
                        synchronized (seen) {
                            seen[part]++;
                            if (Thread.currentThread() != me) offCaller[0] = true;
                        }
                    });
                }
                assertArrayEquals(new int[] {1000, 1000, 1000}, seen, started + " worker threads");
                if (started == 0) assertFalse(offCaller[0], "no worker thread: every part on the caller's");
            }
        }
    }

    @Test
    void workersRunEveryPartOnceAndPassFailuresOn() {
        try (Workers w = new Workers(3)) {
            int[] seen = new int[3];
            for (int round = 0; round < 1000; round++) w.run((part, parts) -> seen[part]++);
            assertArrayEquals(new int[] {1000, 1000, 1000}, seen);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> w.run((part, parts) -> {
                if (part == 2) throw new IllegalArgumentException("boom in part 2");
            }));
            assertEquals("boom in part 2", e.getMessage());
            w.run((part, parts) -> seen[part]++);   // usable after a failure
            assertArrayEquals(new int[] {1001, 1001, 1001}, seen);
        }
        assertThrows(IllegalArgumentException.class, () -> new Workers(0));
    }

    @Test
    void workersRefuseASecondCallerWhileBusy() throws Exception {
        try (Workers w = new Workers(2)) {
            CountDownLatch inside = new CountDownLatch(1), release = new CountDownLatch(1);
            Thread t = new Thread(() -> w.run((part, parts) -> {
                if (part == 0) {
                    inside.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }));
            t.start();
            inside.await();
            AtomicReference<Throwable> refused = new AtomicReference<>();
            try {
                w.run((part, parts) -> { });
            } catch (IllegalStateException e) {
                refused.set(e);
            }
            release.countDown();
            t.join();
            assertTrue(refused.get() != null && refused.get().getMessage().contains("one caller at a time"), String.valueOf(refused.get()));
        }
    }
}
