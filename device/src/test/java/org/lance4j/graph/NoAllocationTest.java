package org.lance4j.graph;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;
import org.lance4j.kernel.Vec;
import org.lance4j.tensor.Shape;
import org.lance4j.testutil.Rnd;
import org.lance4j.train.Sgd;
import org.lance4j.train.SgdConfig;
import org.lance4j.train.Trainer;

/**
 * A steady-state training step allocates nothing on the heap. Measured with the thread's allocated
 * byte counter over consecutive steps after warm-up (until the JIT has compiled the kernels: Vector
 * API code is boxed, and allocates, until C2 intrinsifies it). The network uses every layer kind, with rows wide enough (10 after pooling) that every vector loop runs at 128 and 256 bits.
 */
class NoAllocationTest {
    /** Bytes per step tolerated: none. The counter itself is exact for the calling thread. */
    static final long ALLOWANCE_PER_STEP = 0;
    static final int MEASURED_STEPS = 20;
    static final int MAX_WARMUP_ROUNDS = 60;
    /**
     * Warm-up also lasts at least this long while rounds still allocate: rounds are counted in steps, but the JIT
     * needs time. A small network's 60 rounds take well under a second, and with two threads of the test busy on a
     * 2-core machine the compiler threads get little CPU — run first in its JVM, the threaded test then measured its
     * kernels before C2 had compiled them (boxed vectors in the interpreter and C1, 11.5 KB per step) in 5 of 6 runs.
     */
    static final long MIN_WARMUP_NANOS = 20_000_000_000L;

    static ModelSpec everyLayer() {
        return everyLayer(8);
    }

    /**
     * A MobileNetV2-like tail on small planes: a depthwise convolution with 40 channels (not a multiple of the
     * vector width) on 5 × 5 and 3 × 3 planes — the channels-last depthwise path, split over channel blocks.
     */
    static ModelSpec smallPlanes() {
        SpecBuilder b = new SpecBuilder("small-planes", 3, 10, 10);
        String x = b.relu6("r1", b.bn("bn1", b.conv("c1", ModelSpec.INPUT, 40, 3, 2, 1, 1, false)));
        x = b.relu6("r2", b.bn("bn2", b.conv("dw1", x, 40, 3, 1, 1, 40, false)));
        x = b.relu6("r3", b.bn("bn3", b.conv("dw2", x, 40, 3, 2, 1, 40, false)));
        x = b.bn("bn4", b.conv("pw", x, 24, 1, 1, 0, 1, false));
        b.linear("fc", b.flatten("flat", b.gap("gap", x)), 10, true);
        return b.build();
    }

    /**
     * Depthwise convolutions on 20 × 20 planes: at stride 1 (400 outputs) the phase planes, at stride 2 (100 outputs) the
     * sampled kernels, split over channel blocks.
     */
    static ModelSpec largePlanes() {
        SpecBuilder b = new SpecBuilder("large-planes", 3, 20, 20);
        String x = b.relu6("r1", b.bn("bn1", b.conv("c1", ModelSpec.INPUT, 24, 3, 1, 1, 1, false)));
        x = b.relu6("r2", b.bn("bn2", b.conv("dw", x, 24, 3, 1, 1, 24, false)));
        x = b.relu6("r2b", b.bn("bn2b", b.conv("dw2", x, 24, 3, 2, 1, 24, false)));
        x = b.bn("bn3", b.conv("pw", x, 16, 1, 1, 0, 1, false));
        b.linear("fc", b.flatten("flat", b.gap("gap", x)), 10, true);
        return b.build();
    }

    /**
     * Convolutions on 4 × 4 planes run chunk by chunk (8 images side by side): a 1×1 of 256 channels and a 3 × 3 of
     * 256 → 64, large enough that the moves between image planes and the chunk's rows are split over threads.
     */
    static ModelSpec wideChunks() {
        SpecBuilder b = new SpecBuilder("wide-chunks", 3, 8, 8);
        String x = b.relu("r1", b.bn("bn1", b.conv("c1", ModelSpec.INPUT, 256, 3, 2, 1, 1, false)));
        x = b.relu("r2", b.bn("bn2", b.conv("pw", x, 256, 1, 1, 0, 1, false)));
        x = b.bn("bn3", b.conv("c3", x, 64, 3, 1, 1, 1, false));
        b.linear("fc", b.flatten("flat", b.gap("gap", x)), 10, true);
        return b.build();
    }

    /** @param ch channels of the first convolutions (8: every GEMM small; 32: the large ones take the blocked, threaded path) */
    static ModelSpec everyLayer(int ch) {
        SpecBuilder b = new SpecBuilder("alloc-net", 3, 20, 20);
        String x = b.relu("r1", b.bn("bn1", b.conv("c1", ModelSpec.INPUT, ch, 3, 1, 1, 1, false)));
        String y = b.bn("bn2", b.conv("c2", x, ch, 3, 1, 1, 1, false));
        x = b.relu("r2", b.add("add", y, x));
        x = b.maxPool("mp", x, 2, 2, 0);
        x = b.relu6("r3", b.bn("bn3", b.conv("dw", x, ch, 3, 1, 1, ch, false)));
        x = b.relu("r4", b.bn("bn4", b.conv("pw", x, 2 * ch, 1, 1, 0, 1, true)));
        x = b.avgPool("ap", x, 2, 2, 0);
        x = b.dropout("drop", b.flatten("flat", x), 0.2f);
        b.linear("fc", x, 10, true);
        return b.build();
    }

    /** Bytes allocated by the calling thread and the graph's kernel workers over {@code steps} steps. */
    private static long stepsAllocation(Trainer t, float[] images, Shape shape, int[] labels, int steps) {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        org.lance4j.kernel.Workers w = t.graph().config().workers();
        long[] extra = w == null ? new long[0] : w.threadIds();
        long[] ids = java.util.Arrays.copyOf(extra, extra.length + 1);
        ids[extra.length] = Thread.currentThread().getId();
        long[] before = new long[ids.length];   // one id at a time: the array form returns a new array
        for (int i = 0; i < ids.length; i++) before[i] = mx.getThreadAllocatedBytes(ids[i]);
        for (int i = 0; i < steps; i++) t.step(images, 0, shape, labels, 0);
        long sum = 0;
        for (int i = 0; i < ids.length; i++) sum += mx.getThreadAllocatedBytes(ids[i]) - before[i];
        return sum;
    }

    private static void assertStepAllocatesNothing(Graph.Config cfg, String what) {
        assertStepAllocatesNothing(cfg, what, g -> null);
    }

    private static void assertStepAllocatesNothing(Graph.Config cfg, String what,
                                                   java.util.function.Function<Graph, org.lance4j.train.GradientProjection> projection) {
        assertStepAllocatesNothing(everyLayer(), cfg, what, projection);
    }

    private static void assertStepAllocatesNothing(ModelSpec spec, Graph.Config cfg, String what,
                                                   java.util.function.Function<Graph, org.lance4j.train.GradientProjection> projection) {
        Model m = Model.initialized(spec, 3);
        Graph g = Graph.plan(m, cfg);
        Trainer t = new Trainer(g, new Sgd(g, SgdConfig.paperFineTuning(10)), 16, projection.apply(g));
        Rnd r = new Rnd(4);
        Shape shape = g.input().shape;
        float[] images = r.uniform(shape.size());
        int[] labels = new int[shape.dim(0)];
        for (int i = 0; i < labels.length; i++) labels[i] = r.nextInt(10);
        long last = -1, start = System.nanoTime();
        for (int round = 0; round < MAX_WARMUP_ROUNDS || System.nanoTime() - start < MIN_WARMUP_NANOS; round++) {
            last = stepsAllocation(t, images, shape, labels, MEASURED_STEPS);
            if (last <= ALLOWANCE_PER_STEP * MEASURED_STEPS) break;
        }
        System.out.printf("no-allocation [%s] %s: %d bytes over %d steps%n", Vec.describe(), what, last, MEASURED_STEPS);
        org.lance4j.kernel.Workers w = cfg.workers();
        // (with -Dlance4j.species=scalar every kernel runs its scalar reference on the calling thread)
        if (w != null && w.threads() > 1 && Vec.ENABLED) assertTrue(w.calls() > 0, what + ": no kernel went through the pool, so its threads were not tested");
        assertTrue(last <= ALLOWANCE_PER_STEP * MEASURED_STEPS, what + ": " + last + " bytes allocated over "
                + MEASURED_STEPS + " steady-state steps (allowed " + ALLOWANCE_PER_STEP + " per step)");
    }

    @Test
    void stepOnTwoAndThreeThreadsAllocatesNothing() {
        for (int threads : new int[] {2, 3}) {
            try (org.lance4j.kernel.Workers w = new org.lance4j.kernel.Workers(threads)) {
                assertStepAllocatesNothing(everyLayer(32), Graph.Config.train(8, TrainableRule.all()).withWorkers(w),
                        "all layers trained, 32 channels, " + w, g -> null);
                assertStepAllocatesNothing(everyLayer(32), Graph.Config.train(8, TrainableRule.lastConvs(2)).withFrozenBatchNorm().withWorkers(w),
                        "last 2 convs + head, 32 channels, " + w, g -> null);
                assertStepAllocatesNothing(smallPlanes(), Graph.Config.train(8, TrainableRule.all()).withWorkers(w),
                        "small planes, channels-last depthwise, " + w, g -> null);
                assertStepAllocatesNothing(largePlanes(), Graph.Config.train(8, TrainableRule.all()).withWorkers(w),
                        "large planes, per-plane depthwise, " + w, g -> null);
                assertStepAllocatesNothing(wideChunks(), Graph.Config.train(8, TrainableRule.all()).withWorkers(w),
                        "4 × 4 planes, chunked convolutions, " + w, g -> null);
            }
        }
    }

    @Test
    void fullTrainingStepAllocatesNothing() {
        assertStepAllocatesNothing(Graph.Config.train(8, TrainableRule.all()), "all layers trained");
    }

    @Test
    void lanceFineTuningStepAllocatesNothing() {
        // pw reads (8, 8, 10, 10); a LANCE basis with the batch mode projected
        java.util.SplittableRandom r = new java.util.SplittableRandom(2);
        org.lance4j.compress.ConvBasis basis = new org.lance4j.compress.ConvBasis(8, 8, 10, 10,
                org.lance4j.compress.LanceConvTest.orthonormal(8, 4, r), 4, org.lance4j.compress.LanceConvTest.orthonormal(8, 3, r), 3,
                org.lance4j.compress.LanceConvTest.orthonormal(10, 5, r), 5, org.lance4j.compress.LanceConvTest.orthonormal(10, 6, r), 6);
        org.lance4j.compress.ConvBasis head = new org.lance4j.compress.ConvBasis(8, 400, 1, 1,   // fc's input (8, 16·5·5)
                org.lance4j.compress.LanceConvTest.orthonormal(8, 3, r), 3, org.lance4j.compress.LanceConvTest.orthonormal(400, 12, r), 12,
                new float[] {1}, 1, new float[] {1}, 1);
        assertStepAllocatesNothing(Graph.Config.train(8, TrainableRule.lastConvs(1)).withFrozenBatchNorm()
                .withCompression(java.util.Map.of("pw", basis, "fc", head)), "LANCE on the last conv and the head");
    }

    @Test
    void continualLearningStepsAllocateNothing() {
        // LANCE-CL: unfolded bases on c1 (columns 27 × 400) and c2 (72 × 400), a head basis; GPM: memories projected every step
        java.util.SplittableRandom r = new java.util.SplittableRandom(5);
        org.lance4j.compress.ConvBasis c1 = new org.lance4j.compress.ConvBasis(8, 27, 400, 1, null, 0,
                org.lance4j.compress.LanceConvTest.orthonormal(27, 9, r), 9, org.lance4j.compress.LanceConvTest.orthonormal(400, 11, r), 11,
                new float[] {1}, 1, true);
        org.lance4j.compress.ConvBasis c2 = new org.lance4j.compress.ConvBasis(8, 72, 400, 1, org.lance4j.compress.LanceConvTest.orthonormal(8, 5, r), 5,
                org.lance4j.compress.LanceConvTest.orthonormal(72, 13, r), 13, org.lance4j.compress.LanceConvTest.orthonormal(400, 7, r), 7,
                new float[] {1}, 1, true);
        Graph.Config cfg = Graph.Config.train(8, TrainableRule.allButBatchNorm());
        assertStepAllocatesNothing(cfg.withCompression(java.util.Map.of("c1", c1, "c2", c2)), "LANCE-CL (unfolded bases, BN frozen)");
        assertStepAllocatesNothing(cfg, "GPM", g -> new org.lance4j.train.GradientProjection(g, java.util.Map.of(
                "c1", org.lance4j.compress.LanceConvTest.orthonormal(27, 6, r), "pw", org.lance4j.compress.LanceConvTest.orthonormal(8, 3, r),
                "fc", org.lance4j.compress.LanceConvTest.orthonormal(400, 20, r))));
    }

    @Test
    void asiFineTuningStepAllocatesNothing() {
        java.util.SplittableRandom r = new java.util.SplittableRandom(3);
        org.lance4j.compress.ConvBasis basis = new org.lance4j.compress.ConvBasis(8, 8, 10, 10,
                org.lance4j.compress.LanceConvTest.orthonormal(8, 4, r), 4, org.lance4j.compress.LanceConvTest.orthonormal(8, 3, r), 3,
                org.lance4j.compress.LanceConvTest.orthonormal(10, 5, r), 5, org.lance4j.compress.LanceConvTest.orthonormal(10, 6, r), 6);
        assertStepAllocatesNothing(Graph.Config.train(8, TrainableRule.lastConvs(1)).withFrozenBatchNorm()
                .withCompression(java.util.Map.of("pw", basis)).withSubspaceIteration(), "ASI on the last conv");
    }

    @Test
    void hosvdOnTwoLayersStepAllocatesNothing() {
        // ranks change from step to step, so the dot-product GEMM runs its edge loops; before Gemm.dot was kept out of
        // line (jit.flags) this allocated 38,400 bytes per step after any warm-up
        assertStepAllocatesNothing(Graph.Config.train(8, TrainableRule.lastConvs(2)).withFrozenBatchNorm().withHosvd(0.8), "HOSVD on the last 2 convs");
    }

    @Test
    void hosvdFineTuningStepAllocatesNothing() {
        assertStepAllocatesNothing(Graph.Config.train(8, TrainableRule.lastConvs(1)).withFrozenBatchNorm().withHosvd(0.8), "HOSVD on the last conv");
    }

    /**
     * GEMM in all three forms on the layer shapes of {@code bench gemm} (ResNet18, MobileNetV2 and MCUNet training
     * steps, batch 32: {@code gemm-layer-shapes.csv}, written from the bench's list in round fourteen), with and
     * without accumulate, one thread: once compiled, passes over them allocate nothing — every path the zoo's products
     * take (blocked with packed or in-place A, K in several slices, partial tiles, the dot-product blocks), where the
     * networks above reach only some. It does not reproduce round fourteen's failure (C2 compiling the eight-row kernels
     * without some of their vector intrinsics in about a third of the {@code bench gemm} JVMs): with those kernels
     * restored it passed 11 runs of 11, 5 of them pinned to one CPU. That failure needed the bench's order of calls.
     */
    @Test
    void gemmOnTheZoosLayerShapesAllocatesNothing() throws java.io.IOException {
        java.util.List<String> lines;
        try (java.io.InputStream in = NoAllocationTest.class.getResourceAsStream("/gemm-layer-shapes.csv")) {
            assertTrue(in != null, "gemm-layer-shapes.csv is missing from the test resources");
            lines = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).lines().skip(1).toList();
        }
        int count = lines.size();
        char[] form = new char[count];
        int[][] mnk = new int[count][];
        boolean[] acc = new boolean[count];
        float[][][] ops = new float[count][][];
        Rnd r = new Rnd(6);
        for (int i = 0; i < count; i++) {
            String[] f = lines.get(i).split(",");
            form[i] = f[0].equals("nn") ? 'n' : f[0].equals("nt") ? 't' : 'a';
            mnk[i] = new int[] {Integer.parseInt(f[1]), Integer.parseInt(f[2]), Integer.parseInt(f[3])};
            acc[i] = Boolean.parseBoolean(f[4]);
            int m = mnk[i][0], n = mnk[i][1], k = mnk[i][2];
            ops[i] = new float[][] {r.uniform(m * k), r.uniform(k * n), r.uniform(m * n)};   // A, B (either layout), C
        }
        assertTrue(count > 100, "gemm-layer-shapes.csv lists only " + count + " shapes");
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long last = -1, start = System.nanoTime();
        // 60 single passes to warm up (the kernels' recompilations included), then ten passes at a time until ten
        // allocate nothing, for at least 20 s in all; the scalar references (-Dlance4j.species=scalar: no vectors to
        // box, and a pass takes a second) one pass, then one measured
        final int warm = Vec.ENABLED ? MAX_WARMUP_ROUNDS : 1, measured = Vec.ENABLED ? 10 : 1;
        final long minNanos = Vec.ENABLED ? MIN_WARMUP_NANOS : 0;
        for (int round = 0; round < warm + 10 || System.nanoTime() - start < minNanos; round++) {
            long before = mx.getCurrentThreadAllocatedBytes();
            int passes = round < warm ? 1 : measured;
            for (int pass = 0; pass < passes; pass++) for (int i = 0; i < count; i++) {
                int m = mnk[i][0], n = mnk[i][1], k = mnk[i][2];
                float[] a = ops[i][0], b = ops[i][1], c = ops[i][2];
                switch (form[i]) {
                    case 'n' -> org.lance4j.kernel.Gemm.nn(m, n, k, a, 0, k, b, 0, n, c, 0, n, acc[i]);
                    case 't' -> org.lance4j.kernel.Gemm.nt(m, n, k, a, 0, k, b, 0, k, c, 0, n, acc[i]);
                    default -> org.lance4j.kernel.Gemm.tn(m, n, k, a, 0, m, b, 0, n, c, 0, n, acc[i]);
                }
                if (acc[i]) java.util.Arrays.fill(c, 0f);   // keep accumulated values bounded over many passes
            }
            last = mx.getCurrentThreadAllocatedBytes() - before;
            if (last == 0 && round >= warm) break;
        }
        System.out.printf("no-allocation [%s] GEMM on %d layer shapes: %d bytes over %d passes%n", Vec.describe(), count, last, measured);
        assertTrue(last == 0, "GEMM on the zoo's layer shapes: " + last + " bytes allocated over " + measured + " passes once compiled");
    }

    @Test
    void fineTuningStepAllocatesNothing() {
        assertStepAllocatesNothing(Graph.Config.train(8, TrainableRule.lastConvs(2)).withFrozenBatchNorm(), "last 2 convs + head");
    }
}
