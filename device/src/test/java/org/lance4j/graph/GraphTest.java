package org.lance4j.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.lance4j.tensor.BudgetExceededException;
import org.lance4j.tensor.Shape;
import org.lance4j.tensor.ShapeMismatchException;
import org.lance4j.testutil.Assert;
import org.lance4j.testutil.Rnd;

/** Planning: the backward path, what is kept, scratch reuse, budgets, fixed shapes, the spec format. */
class GraphTest {
    static ModelSpec net() {
        return NoAllocationTest.everyLayer();
    }

    private static Graph stepped(Graph.Config cfg, long seed) {
        Model m = Model.initialized(net(), seed);
        Graph g = Graph.plan(m, cfg);
        Rnd r = new Rnd(seed);
        g.input().copyFrom(r.uniform(g.input().size()), 0);
        int[] y = new int[cfg.batch()];
        g.zeroGrads();
        g.forwardTraining();
        g.lossAndGrad(y, 0);
        g.backward();
        return g;
    }

    @Test
    void frozenPrefixKeepsNothingAndDoesNoBackwardWork() {
        Graph g = Graph.plan(Model.initialized(net(), 1), Graph.Config.train(4, TrainableRule.lastConvs(1)).withFrozenBatchNorm());
        // regular convs: c1, c2, pw — the last one is pw
        assertEquals(List.of("pw", "fc"), List.copyOf(g.trainedNodes()));
        for (String n : List.of("c1", "bn1", "r1", "c2", "add", "mp", "dw", "bn3", "r3")) assertFalse(g.onBackwardPath(n), n);
        for (String n : List.of("pw", "bn4", "r4", "ap", "flat", "drop", "fc")) assertTrue(g.onBackwardPath(n), n);
        // kept: pw's input (B·8·10·10 floats), bn4's invstd (16), r4's mask, dropout mask, fc's input
        List<Graph.HeldNeed> needs = g.heldNeeds();
        assertEquals(List.of("pw", "bn4", "r4", "drop", "fc"), needs.stream().map(Graph.HeldNeed::node).toList());
        assertEquals(4L * 4 * 8 * 10 * 10, needs.get(0).bytes());
        assertEquals(4L * 16, needs.get(1).bytes(), "frozen BN in eval mode keeps only invstd");
        assertEquals(4L * ((4 * 16 * 10 * 10 + 31) / 32), needs.get(2).bytes(), "ReLU keeps one bit per element");
    }

    /**
     * A BN on running statistics and the ReLU/ReLU6 that alone reads it run as one pass when neither is on the backward
     * path — a fine-tuned network's frozen prefix, and inference — with the bits of the two passes: against the same
     * graph with every activation's input observed (which keeps the pairs apart). Small planes (channel-major BN), large
     * planes (plane by plane), one and two threads.
     */
    @Test
    void bnAndActivationRunAsOnePassOffTheBackwardPathWithTheSameBits() {
        record Case(ModelSpec spec, List<String> acts, int fusedFineTuning, int fusedInference) { }
        List<Case> cases = List.of(new Case(net(), List.of("r1", "r2", "r3", "r4"), 2, 3),
                new Case(NoAllocationTest.smallPlanes(), List.of("r1", "r2", "r3"), 3, 3),
                new Case(NoAllocationTest.largePlanes(), List.of("r1", "r2", "r2b"), 3, 3));
        int checked = 0;
        for (int threads : new int[] {1, 2}) {
            try (org.lance4j.kernel.Workers w = new org.lance4j.kernel.Workers(threads)) {
                for (Case c : cases) {
                    Graph.Config ft = Graph.Config.train(4, TrainableRule.lastConvs(1)).withFrozenBatchNorm().withWorkers(w);
                    Graph fused = Graph.plan(Model.initialized(c.spec, 7), ft);
                    Graph plain = Graph.plan(Model.initialized(c.spec, 7), ft);
                    for (String a : c.acts) plain.observeInput(a, t -> { });
                    float[] x = new Rnd(7).uniform(fused.input().size());
                    for (int i = 0; i < x.length; i++) x[i] *= 40f;   // large enough that ReLU6 caps values
                    int[] y = {1, 2, 3, 4};
                    for (Graph g : List.of(fused, plain)) {
                        g.input().copyFrom(x, 0);
                        g.zeroGrads();
                        g.forwardTraining();
                        g.lossAndGrad(y, 0);
                        g.backward();
                    }
                    String at = c.spec.name() + ", " + threads + " thread(s)";
                    assertEquals(c.fusedFineTuning, fused.fusedActivationsLastForward(), at);
                    assertEquals(0, plain.fusedActivationsLastForward(), at);
                    Assert.sameBits(plain.output().toArray(), fused.output().toArray(), at);
                    for (int i = 0; i < fused.trainable().size(); i++) {
                        Assert.sameBits(plain.gradOf(plain.trainable().get(i)).toArray(), fused.gradOf(fused.trainable().get(i)).toArray(),
                                at + ": " + fused.trainable().get(i).name());
                    }
                    fused.forwardInference();
                    plain.forwardInference();
                    assertEquals(c.fusedInference, fused.fusedActivationsLastForward(), at);
                    Assert.sameBits(plain.output().toArray(), fused.output().toArray(), at + ", inference");
                    // batch statistics (BN not frozen): nothing fuses in training, everything in inference
                    Graph train = Graph.plan(Model.initialized(c.spec, 7), Graph.Config.train(4, TrainableRule.lastConvs(1)).withWorkers(w));
                    train.input().copyFrom(x, 0);
                    train.forwardTraining();
                    assertEquals(0, train.fusedActivationsLastForward(), at);
                    train.forwardInference();
                    assertEquals(c.fusedInference, train.fusedActivationsLastForward(), at);
                    checked++;
                }
            }
        }
        assertEquals(6, checked);
    }


    /**
     * A frozen prefix of convolutions, each followed by a BN and a ReLU/ReLU6: 3 × 3 and 1×1 on 12 × 12 planes (one GEMM
     * per image), depthwise on 12 × 12 (plane kernels), 6 × 6 and 3 × 3 (channels-last), 2 × 2 (rows shorter than a
     * vector), and with {@code chunked} a 1×1 on 6 × 6 and a 3 × 3 on 3 × 3 planes (chunks of images side by side).
     */
    static ModelSpec epilogues(boolean chunked) {
        SpecBuilder b = new SpecBuilder("epilogues", 3, 12, 12);
        String x0 = b.relu6("r0", b.bn("bn0", b.conv("c0", ModelSpec.INPUT, 16, 3, 1, 1, 1, false)));
        String x1 = b.relu6("r1", b.bn("bn1", b.conv("pw1", x0, 16, 1, 1, 0, 1, false)));
        String x2 = b.relu("r2", b.bn("bn2", b.conv("dw1", b.add("a1", x0, x1), 16, 3, 1, 1, 16, false)));
        String x3 = b.relu6("r3", b.bn("bn3", b.conv("dw2", b.add("a2", x1, x2), 16, 3, 2, 1, 16, false)));
        if (chunked) x3 = b.relu6("r3b", b.bn("bn3b", b.conv("pc", x3, 16, 1, 1, 0, 1, false)));
        String x4 = b.relu6("r4", b.bn("bn4", b.conv("dw3", x3, 16, 3, 2, 1, 16, false)));
        if (chunked) x4 = b.relu("r4b", b.bn("bn4b", b.conv("c3", x4, 16, 3, 1, 1, 1, false)));
        String x5 = b.relu6("r5", b.bn("bn5", b.conv("dw4", b.add("a3", x4, b.conv("dw5", x4, 16, 1, 1, 0, 16, false)), 16, 3, 2, 1, 16, false)));
        String y = b.bn("bn6", b.conv("pw2", x5, 8, 1, 1, 0, 1, false));
        b.linear("fc", b.flatten("flat", b.gap("gap", y)), 10, true);
        return b.build();
    }

    /**
     * Conv + BN + activation triples off the backward path run as one: the convolution applies the BN's running affine
     * map and the activation to each image's output — the bits of the three layers one after the other (against the
     * same graph with the BNs' inputs observed, which keeps each convolution apart but still fuses BN and activation,
     * and with the activations' inputs observed, which fuses nothing), one and two threads, fine-tuning and inference.
     * With every buffer its own memory all eight triples fuse; with buffers placed by lifetime (the spec without the
     * chunked layers), a triple whose activation output shares its convolution's input storage stays apart (the
     * convolution would overwrite what it still reads): here one of six.
     */
    @Test
    void convolutionBnAndActivationRunAsOneOffTheBackwardPathWithTheSameBits() {
        for (int run = 0; run < 4; run++) {
            int threads = 1 + run % 2;
            boolean reuse = run >= 2;
            try (org.lance4j.kernel.Workers w = new org.lance4j.kernel.Workers(threads)) {
                Graph.Config ft = Graph.Config.train(4, TrainableRule.lastConvs(1)).withFrozenBatchNorm().withWorkers(w);
                if (!reuse) ft = ft.withoutScratchReuse();
                ModelSpec spec = epilogues(!reuse);
                int triples = reuse ? 6 : 8;
                Graph fused = Graph.plan(Model.initialized(spec, 5), ft);
                Graph apart = Graph.plan(Model.initialized(spec, 5), ft);
                Graph plain = Graph.plan(Model.initialized(spec, 5), ft);
                // the triples' BN "bnQ" and activation "rQ"
                for (String q : reuse ? List.of("0", "1", "2", "3", "4", "5") : List.of("0", "1", "2", "3", "3b", "4", "4b", "5")) {
                    apart.observeInput("bn" + q, t -> { });
                    plain.observeInput("r" + q, t -> { });
                }
                for (Graph g : List.of(fused, apart, plain)) {   // running statistics away from 0 and 1: BN scales by up to 4.5
                    for (org.lance4j.graph.Param p : g.model().params()) {
                        if (p.name().endsWith("running_mean") || p.name().endsWith("running_var")) {
                            float[] v = new Rnd(p.name().length()).uniform(p.value().size());
                            for (int i = 0; i < v.length; i++) v[i] = p.name().endsWith("running_var") ? 0.05f + v[i] * v[i] : 0.3f * v[i];
                            p.value().copyFrom(v, 0);
                        }
                    }
                }
                float[] x = new Rnd(3).uniform(fused.input().size());
                for (int i = 0; i < x.length; i++) x[i] *= 8f;   // large enough that ReLU6 caps values
                int[] y = {1, 2, 3, 4};
                for (Graph g : List.of(fused, apart, plain)) {
                    g.input().copyFrom(x, 0);
                    g.zeroGrads();
                    g.forwardTraining();
                    g.lossAndGrad(y, 0);
                    g.backward();
                }
                String at = threads + " thread(s), scratch " + (reuse ? "reused" : "not reused");
                // all but pw2 (trained), less those whose storage is shared (see the javadoc)
                int convs = fused.fusedConvolutionsLastForward();
                assertEquals(reuse ? 5 : 8, convs, at);
                assertEquals(triples, fused.fusedActivationsLastForward(), at);
                assertEquals(0, apart.fusedConvolutionsLastForward(), at);
                assertEquals(triples, apart.fusedActivationsLastForward(), at);
                assertEquals(0, plain.fusedActivationsLastForward(), at);
                Assert.sameBits(plain.output().toArray(), fused.output().toArray(), at);
                Assert.sameBits(plain.output().toArray(), apart.output().toArray(), at);
                for (int i = 0; i < fused.trainable().size(); i++) {
                    Assert.sameBits(plain.gradOf(plain.trainable().get(i)).toArray(), fused.gradOf(fused.trainable().get(i)).toArray(),
                            at + ": " + fused.trainable().get(i).name());
                }
                for (Graph g : List.of(fused, plain)) g.forwardInference();
                assertEquals(convs, fused.fusedConvolutionsLastForward(), at + ", inference");
                Assert.sameBits(plain.output().toArray(), fused.output().toArray(), at + ", inference");
            }
        }
    }

    @Test
    void measuredPeakEqualsThePlanAndFitsTheBudget() {
        Graph.Config cfg = Graph.Config.train(4, TrainableRule.lastConvs(2));
        Graph g = stepped(cfg, 2);
        assertEquals(g.plannedHeldBytes(), g.held().peakBytes());
        assertEquals(0, g.held().heldBytes(), "backward released everything");
        long need = g.plannedHeldBytes();
        Graph tight = stepped(cfg.withBudget(need), 2);
        assertEquals(need, tight.held().peakBytes());
        Model m = Model.initialized(net(), 2);
        Graph small = Graph.plan(m, cfg.withBudget(need - 4));
        small.input().fill(0.1f);
        BudgetExceededException e = assertThrows(BudgetExceededException.class, small::forwardTraining);
        assertEquals("fc", e.owner, "the last layer to reserve is the one that does not fit");
        assertTrue(small.held().peakBytes() <= need - 4, "the budget was never exceeded");
    }

    @Test
    void scratchReuseChangesNothingAndBackwardReadsOnlyHeldState() {
        Graph.Config cfg = Graph.Config.train(4, TrainableRule.all());
        Graph reuse = stepped(cfg, 3);
        Model m = Model.initialized(net(), 3);
        Graph plain = Graph.plan(m, cfg.withoutScratchReuse());
        Rnd r = new Rnd(3);
        plain.input().copyFrom(r.uniform(plain.input().size()), 0);
        plain.zeroGrads();
        plain.forwardTraining();
        plain.poisonActivations();   // backward must not read a forward activation
        plain.lossAndGrad(new int[4], 0);
        plain.backward();
        for (int i = 0; i < reuse.trainable().size(); i++) {
            float[] a = reuse.gradOf(reuse.trainable().get(i)).toArray();
            float[] b = plain.gradOf(plain.trainable().get(i)).toArray();
            for (float v : b) assertFalse(Float.isNaN(v), "NaN reached " + plain.trainable().get(i).name());
            assertArrayEquals(a, b, reuse.trainable().get(i).name());
        }
        assertTrue(reuse.scratchBytes() < plain.scratchBytes(), "lifetime planning saves scratch memory");
    }

    @Test
    void batchShapeIsFixedAndReplanningIsExplicit() {
        Graph g = Graph.plan(Model.initialized(net(), 4), Graph.Config.train(4, TrainableRule.all()));
        float[] x = new float[2 * 3 * 20 * 20];
        ShapeMismatchException e = assertThrows(ShapeMismatchException.class, () -> g.setInput(x, 0, Shape.of(2, 3, 20, 20)));
        assertTrue(e.getMessage().contains("replan(2)"), e.getMessage());
        Graph g2 = g.replan(2);
        g2.setInput(x, 0, Shape.of(2, 3, 20, 20));
        g2.forwardInference();
        assertEquals(Shape.of(2, 10), g2.output().shape);
        assertEquals(0, g2.held().peakBytes(), "inference keeps nothing");
    }

    @Test
    void inferenceUsesRunningStatisticsAndIsDeterministic() {
        Model m = Model.initialized(net(), 5);
        Graph g = Graph.plan(m, Graph.Config.inference(3));
        g.input().copyFrom(new Rnd(5).uniform(g.input().size()), 0);
        g.forwardInference();
        float[] a = g.output().toArray();
        g.forwardInference();
        assertArrayEquals(a, g.output().toArray());
        assertTrue(g.trainable().isEmpty());
    }

    @Test
    void specTextRoundTripsAndErrorsNameTheLine() {
        ModelSpec s = net();
        ModelSpec back = ModelSpec.parse(s.toText());
        assertEquals(s.toText(), back.toText());
        assertEquals(s, back);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelSpec.parse("lance4j-spec 1\nname x\ninput 3 8 8\nc1 = conv out=4 k=3 s=1 p=1 g=1 bias=0 : nothere\n"));
        assertTrue(e.getMessage().contains("line 4") && e.getMessage().contains("nothere"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ModelSpec.parse("lance4j-spec 2\nname x\ninput 3 8 8\n"));
        assertTrue(e.getMessage().contains("version 2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ModelSpec.parse("lance4j-spec 1\nname x\ninput 3 8 8\nfc = linear out=3 bias=1 : input\n"));
        assertTrue(e.getMessage().contains("flatten"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ModelSpec.parse("lance4j-spec 1\nname x\ninput 3 8 8\nc = conv out=4 k=3 s=1 p=1 g=2 bias=0 : input\n"));
        assertTrue(e.getMessage().contains("divisible"), e.getMessage());
    }

    @Test
    void trainableRuleFollowsThePaper() {
        SpecBuilder b = new SpecBuilder("r", 3, 8, 8);
        String x = b.conv("c1", ModelSpec.INPUT, 4, 3, 1, 1, 1, false);
        x = b.conv("dw1", b.bn("bn1", x), 4, 3, 1, 1, 4, false);
        x = b.conv("c2", x, 8, 1, 1, 0, 1, false);
        x = b.conv("dw2", b.bn("bn2", x), 8, 3, 1, 1, 8, false);
        x = b.conv("c3", x, 8, 1, 1, 0, 1, false);
        b.linear("head", b.gap("gap", x), 3, true);
        ModelSpec s = b.build();
        assertEquals(List.of("c2", "c3", "head"), List.copyOf(TrainableRule.lastConvs(2).select(s)));
        assertEquals(List.of("c2", "dw2", "c3", "head"), List.copyOf(TrainableRule.lastConvs(2).withDepthwise().select(s)));
        assertEquals(List.of("c2", "bn2", "c3", "head"), List.copyOf(TrainableRule.lastConvs(2).withBatchNorm().select(s)));
        assertEquals(List.of("head"), List.copyOf(TrainableRule.lastConvs(0).select(s)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrainableRule.lastConvs(4).select(s));
        assertTrue(e.getMessage().contains("only 3"), e.getMessage());
    }

    /** Same seed, same data: bit-identical parameters, whatever the JIT did in between. */
    @Test
    void trainingIsReproducibleBitForBit() {
        float[][] runs = new float[2][];
        for (int run = 0; run < 2; run++) {
            Model m = Model.initialized(net(), 9);
            Graph g = Graph.plan(m, Graph.Config.train(4, TrainableRule.all()));
            org.lance4j.train.Trainer t = new org.lance4j.train.Trainer(g,
                    new org.lance4j.train.Sgd(g, org.lance4j.train.SgdConfig.paperFineTuning(5)), 4);
            Rnd r = new Rnd(9);
            float[] x = r.uniform(g.input().size());
            int[] y = {1, 2, 3, 4};
            for (int s = 0; s < 5; s++) t.step(x, 0, g.input().shape, y, 0);
            runs[run] = m.storage().clone();
        }
        assertArrayEquals(runs[0], runs[1]);
    }

    @Test
    void outputSelectionRunsOnlyThatHeadsAncestors() {
        SpecBuilder b = new SpecBuilder("two-heads", 2, 4, 4);
        String f = b.flatten("flat", b.relu("r", b.conv("c", ModelSpec.INPUT, 3, 3, 1, 1, 1, false)));
        b.linear("head0", f, 2, true);
        b.linear("head1", f, 5, true);
        Model m = Model.initialized(b.build(), 1);
        Graph g0 = Graph.plan(m, Graph.Config.train(3, TrainableRule.lastConvs(1)).withOutput("head0"));
        Graph g1 = Graph.plan(m, Graph.Config.train(3, TrainableRule.lastConvs(1)).withOutput("head1"));
        assertEquals(List.of("c", "head0"), List.copyOf(g0.trainedNodes()));
        assertEquals(List.of("c", "head1"), List.copyOf(g1.trainedNodes()));
        assertEquals(Shape.of(3, 2), g0.output().shape);
        assertEquals(Shape.of(3, 5), g1.output().shape);
        assertThrows(IllegalArgumentException.class, () -> Graph.plan(m, Graph.Config.inference(1).withOutput("nope")));
    }

    @Test
    void parameterCountMatchesTheDefinition() {
        Model m = new Model(net());
        // c1 8·3·9, bn1 16, c2 8·8·9, bn2 16, dw 8·9, bn3 16, pw 16·8 + 16, bn4 32, fc 10·(16·5·5) + 10
        long expected = 216 + 16 + 576 + 16 + 72 + 16 + 144 + 32 + 4010;
        assertEquals(expected, m.parameterCount());
    }
}
