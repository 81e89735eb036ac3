package org.lance4j.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.lance4j.tensor.Tensor;
import org.lance4j.testutil.Rnd;

/**
 * Central-difference gradient checks, one tiny graph per layer and option. The loss is
 * L = Σ rᵢ·yᵢ with fixed random r, accumulated in double; every trained parameter element and every
 * input element is perturbed by ±h and (L₊ − L₋)/2h, in double, is compared with the analytic
 * gradient. The kernels are float32, so h and the tolerances are chosen for float rounding
 * (|ΔL| ≈ 1e-6 over 2h = 2e-2 gives ≈ 1e-4 noise; a wrong gradient is off by O(0.1–1)).
 * Kinked layers (ReLU, ReLU6, max pooling) get inputs spaced at least 2.5h from every kink.
 */
class GradCheckTest {
    static final float H = 1e-2f;
    static final double ATOL = 2e-3;
    static final double RTOL = 1e-2;
    static final int BATCH = 2;

    record Case(String name, SpecBuilder spec, TrainableRule rule, boolean training, boolean freezeBn, float inputGap, int batch) {
        Case(String name, SpecBuilder spec, TrainableRule rule, boolean training, boolean freezeBn, float inputGap) {
            this(name, spec, rule, training, freezeBn, inputGap, BATCH);
        }
    }

    static List<Case> cases() {
        List<Case> cs = new ArrayList<>();
        conv(cs, "conv k3 s1 p1 bias", 3, 5, 6, new LayerSpec.Conv(4, 3, 1, 1, 1, true));
        conv(cs, "conv k3 s2 p1", 3, 7, 6, new LayerSpec.Conv(4, 3, 2, 1, 1, false));
        conv(cs, "conv 1x1 direct bias", 4, 3, 5, new LayerSpec.Conv(3, 1, 1, 0, 1, true));
        conv(cs, "conv 1x1 s2", 4, 5, 5, new LayerSpec.Conv(3, 1, 2, 0, 1, false));
        conv(cs, "conv k3 p0 groups2", 4, 5, 6, new LayerSpec.Conv(6, 3, 1, 0, 2, false));
        conv(cs, "conv 1x1 groups2 direct", 4, 3, 3, new LayerSpec.Conv(2, 1, 1, 0, 2, true));
        conv(cs, "depthwise k3 s1 p1 bias", 3, 5, 6, new LayerSpec.Conv(3, 3, 1, 1, 3, true));
        conv(cs, "depthwise k3 s2 p1", 3, 7, 6, new LayerSpec.Conv(3, 3, 2, 1, 3, false));
        conv(cs, "depthwise multiplier 2", 3, 4, 5, new LayerSpec.Conv(6, 3, 1, 1, 3, false));
        conv(cs, "conv k5 s2 p2 odd", 2, 7, 5, new LayerSpec.Conv(3, 5, 2, 2, 1, true));
        // 16 channels each way: the Winograd forward and input gradient (odd plane: tiles cut by both edges)
        conv(cs, "conv k3 s1 p1 winograd bias", 16, 5, 7, new LayerSpec.Conv(16, 3, 1, 1, 1, true));
        // 24 outputs over 8 tiles: U and Z in three blocks of output channels, one pass of images
        conv(cs, "conv k3 s1 p1 winograd row blocks", 16, 3, 3, new LayerSpec.Conv(24, 3, 1, 1, 1, false));
        // the blocked paths need larger planes and layers: W packed once for every image (1×1) or every pass (3×3,
        // per image and chunk by chunk), dW summed over the images in one split call, depthwise on phase planes
        // (3 × 3 at stride 1 on 12 × 12) or by the sampled kernels (3 × 3 on 16 × 16, at strides 1 and 2); a 5 × 5 at
        // stride 2 onto 9 × 9 runs channels last (Conv2d.depthwiseChannelsLast)
        cs.add(new Case("conv 1x1 large plane (batched W, summed dW)", single(16, 12, 12, new LayerSpec.Conv(16, 1, 1, 0, 1, false)),
                TrainableRule.all(), true, false, 0));
        cs.add(new Case("conv k3 large plane (W packed once per pass)", single(16, 12, 12, new LayerSpec.Conv(16, 3, 1, 1, 1, false)),
                TrainableRule.all(), true, false, 0));
        // 5 × 4 tiles of F(4 × 4, 3 × 3) on 17 × 13 (Conv2d.WINOGRAD4_MIN_TILES): its vector transforms, tiles cut by both edges
        cs.add(new Case("conv k3 winograd F(4x4) odd plane", single(16, 17, 13, new LayerSpec.Conv(16, 3, 1, 1, 1, false)),
                TrainableRule.all(), true, false, 0, 2));
        cs.add(new Case("conv k3 in three chunks (W reused)", single(16, 4, 4, new LayerSpec.Conv(16, 3, 1, 1, 1, false)),
                TrainableRule.all(), true, false, 0, 20));
        cs.add(new Case("depthwise k3 large plane (phase planes)", single(2, 12, 12, new LayerSpec.Conv(2, 3, 1, 1, 2, false)),
                TrainableRule.all(), true, false, 0, 3));
        cs.add(new Case("depthwise k3 large plane (sampled kernels)", single(2, 16, 16, new LayerSpec.Conv(2, 3, 1, 1, 2, false)),
                TrainableRule.all(), true, false, 0, 3));
        cs.add(new Case("depthwise k3 s2 large plane (sampled kernels)", single(2, 16, 16, new LayerSpec.Conv(2, 3, 2, 1, 2, false)),
                TrainableRule.all(), true, false, 0, 3));
        cs.add(new Case("depthwise k5 s2 odd plane (channels last)", single(3, 17, 17, new LayerSpec.Conv(3, 5, 2, 2, 3, false)),
                TrainableRule.all(), true, false, 0, 2));

        LayerSpec.BatchNorm bn = LayerSpec.BatchNorm.standard();
        // planes of ≤ 64 values are normalized channel-major (BatchNorm2d.SMALL_PLANE), the 4 × 5 planes above too;
        // 9 × 9 planes go plane by plane
        cs.add(new Case("bn train on 9x9 planes (plane by plane)", single(3, 9, 9, bn), TrainableRule.all(), true, false, 0));
        cs.add(new Case("bn eval on 9x9 planes (plane by plane)", single(3, 9, 9, bn), TrainableRule.all(), true, true, 0));
        cs.add(new Case("bn train on 2x2 planes (channel-major)", single(5, 2, 2, bn), TrainableRule.all(), true, false, 0));
        cs.add(new Case("bn eval on 2x2 planes (channel-major)", single(5, 2, 2, bn), TrainableRule.all(), true, true, 0));
        cs.add(new Case("bn train on 1x1 planes, affine frozen", single(7, 1, 1, bn), TrainableRule.none(), true, false, 0, 6));
        cs.add(new Case("bn train batch stats, affine trained", single(3, 4, 5, bn), TrainableRule.all(), true, false, 0));
        cs.add(new Case("bn eval running stats, affine trained", single(3, 4, 5, bn), TrainableRule.all(), true, true, 0));
        cs.add(new Case("bn train, affine frozen", single(3, 4, 5, bn), TrainableRule.none(), true, false, 0));
        cs.add(new Case("bn eval, frozen", single(3, 4, 5, bn), TrainableRule.none(), false, false, 0));
        cs.add(new Case("bn without running stats (eval uses batch)", single(3, 4, 5, new LayerSpec.BatchNorm(1e-5f, 0.1f, true, false)),
                TrainableRule.all(), false, false, 0));
        cs.add(new Case("bn not affine", single(3, 4, 5, new LayerSpec.BatchNorm(1e-5f, 0.1f, false, true)),
                TrainableRule.none(), true, false, 0));

        cs.add(new Case("relu", single(2, 5, 6, new LayerSpec.Relu()), TrainableRule.none(), true, false, 0.05f));
        cs.add(new Case("relu6", single(2, 5, 6, new LayerSpec.Relu6()), TrainableRule.none(), true, false, 0.27f));
        cs.add(new Case("maxpool k3 s2 p1 odd", single(2, 7, 6, new LayerSpec.MaxPool(3, 2, 1)), TrainableRule.none(), true, false, 0.05f));
        cs.add(new Case("maxpool k2 s2 odd", single(2, 5, 5, new LayerSpec.MaxPool(2, 2, 0)), TrainableRule.none(), true, false, 0.05f));
        cs.add(new Case("avgpool k3 s2 p1 odd", single(2, 7, 6, new LayerSpec.AvgPool(3, 2, 1)), TrainableRule.none(), true, false, 0));
        cs.add(new Case("avgpool k2 s2 odd", single(2, 5, 5, new LayerSpec.AvgPool(2, 2, 0)), TrainableRule.none(), true, false, 0));
        cs.add(new Case("global average pool", single(3, 4, 5, new LayerSpec.GlobalAvgPool()), TrainableRule.none(), true, false, 0));

        SpecBuilder lin = new SpecBuilder("linear", 2, 3, 2);
        lin.linear("fc", lin.flatten("flat", ModelSpec.INPUT), 4, true);
        cs.add(new Case("flatten + linear bias", lin, TrainableRule.all(), true, false, 0));
        SpecBuilder lin2 = new SpecBuilder("linear-nobias", 3, 2, 2);
        lin2.linear("fc", lin2.gap("gap", ModelSpec.INPUT), 5, false);
        cs.add(new Case("gap + linear no bias", lin2, TrainableRule.all(), true, false, 0));
        SpecBuilder drop = new SpecBuilder("dropout", 2, 4, 4);
        drop.linear("fc", drop.dropout("drop", drop.flatten("flat", ModelSpec.INPUT), 0.3f), 3, true);
        cs.add(new Case("dropout p=0.3 + linear", drop, TrainableRule.all(), true, false, 0));

        SpecBuilder res = new SpecBuilder("residual", 3, 5, 5);
        String c1 = res.conv("c1", ModelSpec.INPUT, 3, 3, 1, 1, 1, false);
        res.add("add", res.bn("bn", c1), ModelSpec.INPUT);
        cs.add(new Case("residual add (conv, bn train)", res, TrainableRule.all(), true, false, 0));

        SpecBuilder frozen = new SpecBuilder("frozen-between", 3, 6, 6);
        String a = frozen.conv("convA", ModelSpec.INPUT, 4, 3, 1, 1, 1, false);
        String d = frozen.conv("dw", frozen.bn("bnA", a), 4, 3, 2, 1, 4, false);
        String b2 = frozen.conv("convB", frozen.bn("bnB", d), 5, 1, 1, 0, 1, true);
        frozen.linear("fc", frozen.gap("gap", b2), 3, true);
        cs.add(new Case("last 2 convs + head, frozen BN and depthwise between", frozen, TrainableRule.lastConvs(2), true, true, 0));
        cs.add(new Case("last conv + head: frozen prefix", frozen, TrainableRule.lastConvs(1), true, true, 0));
        cs.add(new Case("last 2 convs with depthwise and BN trained", frozen,
                TrainableRule.lastConvs(2).withDepthwise().withBatchNorm(), true, false, 0));
        // per-feature statistics over a batch of 2 are nearly a sign function: these need a real batch
        cs.add(new Case("bn over features (BatchNorm1d) train", bn1d(true), TrainableRule.all(), true, false, 0, 6));
        cs.add(new Case("bn over features without running stats", bn1d(false), TrainableRule.all(), false, false, 0, 6));
        return cs;
    }

    private static SpecBuilder bn1d(boolean track) {
        SpecBuilder b = new SpecBuilder("bn1d", 2, 2, 2);
        b.node("bn", new LayerSpec.BatchNorm(1e-5f, 0.1f, true, track), b.flatten("flat", ModelSpec.INPUT));
        return b;
    }

    private static void conv(List<Case> cs, String name, int c, int h, int w, LayerSpec.Conv conv) {
        cs.add(new Case(name, single(c, h, w, conv), TrainableRule.all(), true, false, 0));
    }

    private static SpecBuilder single(int c, int h, int w, LayerSpec layer) {
        SpecBuilder b = new SpecBuilder("single", c, h, w);
        b.node("layer", layer, ModelSpec.INPUT);
        return b;
    }

    @Test
    void everyLayerAndOptionIsCovered() {
        assertEquals(47, cases().size(), "gradient-check cases");
    }

    @TestFactory
    Stream<DynamicTest> centralDifferences() {
        return cases().stream().map(c -> DynamicTest.dynamicTest(c.name, () -> {
            int checked = check(c);
            assertTrue(checked > 0, "nothing checked");
        }));
    }

    /** @return the number of elements compared */
    static int check(Case c) {
        ModelSpec spec = c.spec.build();
        Model m = Model.initialized(spec, 11);
        Rnd r = new Rnd(12);
        for (Param p : m.params()) {   // non-trivial BN state
            switch (p.kind()) {
                case BN_WEIGHT -> p.value().copyFrom(r.uniform(p.value().size(), 0.5, 1.5), 0);
                case BN_BIAS, RUNNING_MEAN -> p.value().copyFrom(r.uniform(p.value().size(), -0.2, 0.2), 0);
                case RUNNING_VAR -> p.value().copyFrom(r.uniform(p.value().size(), 0.5, 1.5), 0);
                default -> { }
            }
        }
        Graph.Config cfg = new Graph.Config(c.batch, c.rule, c.training, c.freezeBn, Long.MAX_VALUE, 77, true, true, null, java.util.Map.of(), false, 0, null);
        Graph g = Graph.plan(m, cfg);
        int inSize = g.input().size();
        float[] x = c.inputGap > 0 ? r.spaced(inSize, c.inputGap) : r.uniform(inSize);
        float[] rw = r.uniform(g.output().size());
        g.input().copyFrom(x, 0);

        // analytic
        g.zeroGrads();
        g.context().reseed(5);
        g.forwardTraining();
        g.outputGrad().copyFrom(rw, 0);
        g.backward();
        List<float[]> analytic = new ArrayList<>();
        for (Param p : g.trainable()) analytic.add(g.gradOf(p).toArray());
        float[] dx = g.inputGrad().toArray();

        int checked = 0;
        for (int i = 0; i < g.trainable().size(); i++) {
            Param p = g.trainable().get(i);
            checked += compare(c.name + " d" + p.name(), p.value(), analytic.get(i), g, x, rw);
        }
        Tensor inputProbe = new Tensor("input", g.input().shape, x, 0);
        checked += compare(c.name + " dinput", inputProbe, dx, g, x, rw);
        long expected = inSize;
        for (Param p : g.trainable()) expected += p.value().size();
        assertEquals(expected, checked, c.name + ": elements checked");
        return checked;
    }

    private static int compare(String what, Tensor t, float[] analytic, Graph g, float[] x, float[] rw) {
        int n = 0;
        double worst = 0;
        for (int i = 0; i < t.size(); i++) {
            float old = t.get(i);
            t.set(i, old + H);
            double lp = loss(g, x, rw);
            t.set(i, old - H);
            double lm = loss(g, x, rw);
            t.set(i, old);
            double num = (lp - lm) / (2.0 * H);
            double ana = analytic[i];
            double err = Math.abs(num - ana);
            worst = Math.max(worst, err);
            if (err > ATOL + RTOL * Math.max(Math.abs(num), Math.abs(ana))) {
                fail(String.format("%s[%d]: analytic %.6g, numeric %.6g", what, i, ana, num));
            }
            n++;
        }
        return n;
    }

    private static double loss(Graph g, float[] x, float[] rw) {
        g.input().copyFrom(x, 0);
        g.context().reseed(5);
        g.forwardTraining();
        Tensor y = g.output();
        double l = 0;
        for (int i = 0; i < rw.length; i++) l += (double) rw[i] * y.get(i);
        return l;
    }

    /** Runs a consumer over every case (used by the break-a-backward demonstration in the README). */
    static void forEach(Consumer<Case> c) {
        cases().forEach(c);
    }
}
