package org.lance4j.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.lance4j.testutil.Assert;
import org.lance4j.testutil.Conv3x3Reference;
import org.lance4j.testutil.Rnd;

/**
 * A Winograd convolution layer (3 × 3, stride 1, padding 1, 16 or more channels each way) through the graph against
 * the direct convolution in double: the forward, the input gradient and the weight gradient, on shapes that make the
 * layer run several passes of images and, with many output channels, blocks of U's and Z's rows (Conv2d.winogradPass,
 * winogradWeightGrad). Under the default settings these planes (16 × 16, 18 × 14) take F(4 × 4, 3 × 3); the
 * winograd2-always test execution runs the same through F(2 × 2, 3 × 3). The gradient checks cover the same layers
 * on single passes; this covers the pass and block bookkeeping, which a finite-difference check of every element
 * would make too slow.
 */
class WinogradLayerTest {
    /** Rounding of the transforms (F(4 × 4, 3 × 3) loses ~1e-5 of the outputs' scale) and of float sums over C·9 terms. */
    static final double ATOL = 1e-4, RTOL = 1e-4;

    @Test
    void severalPassesOfImagesMatchTheDirectConvolution() {
        // 16 tiles of F(4 × 4) per image, 128-tile passes: 20 images in passes of 8, 8 and 4
        check(16, 24, 16, 16, 20, 31);
    }

    @Test
    void blocksOfOutputChannelsMatchTheDirectConvolution() {
        // 136 output channels over passes of 6 images of 20 tiles (18 × 14, cut by the tiles at both edges): U and Z in
        // blocks of 120 and 16 rows, 9 images in passes of 6 and 3
        check(16, 136, 18, 14, 9, 32);
    }

    private static void check(int c, int o, int h, int w, int n, long seed) {
        SpecBuilder b = new SpecBuilder("wino", c, h, w);
        b.node("conv", new LayerSpec.Conv(o, 3, 1, 1, 1, false), ModelSpec.INPUT);
        Model m = Model.initialized(b.build(), seed);
        Graph.Config cfg = new Graph.Config(n, TrainableRule.all(), true, false, Long.MAX_VALUE, 77, true, true, null,
                java.util.Map.of(), false, 0, null);
        Graph g = Graph.plan(m, cfg);
        Rnd r = new Rnd(seed);
        float[] x = r.uniform(g.input().size()), dy = r.uniform(g.output().size());
        g.input().copyFrom(x, 0);
        g.zeroGrads();
        g.forwardTraining();
        g.outputGrad().copyFrom(dy, 0);
        g.backward();
        assertEquals(1, g.trainable().size());
        float[] wt = g.trainable().get(0).value().toArray();

        double[] y = Conv3x3Reference.forward(x, n, c, h, w, wt, o), dx = Conv3x3Reference.inputGrad(dy, n, o, h, w, wt, c);
        double[] dw = Conv3x3Reference.weightGrad(x, dy, n, c, h, w, o);
        String what = c + " → " + o + " channels, " + h + " × " + w + ", " + n + " images: ";
        Assert.close(what + "forward", Conv3x3Reference.toFloat(y), g.output().toArray(), ATOL, RTOL);
        Assert.close(what + "input gradient", Conv3x3Reference.toFloat(dx), g.inputGrad().toArray(), ATOL, RTOL);
        Assert.close(what + "weight gradient", Conv3x3Reference.toFloat(dw), g.gradOf(g.trainable().get(0)).toArray(), ATOL * n * h * w, RTOL);
    }
}
