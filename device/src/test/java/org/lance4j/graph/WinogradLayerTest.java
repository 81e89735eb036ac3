package org.lance4j.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.lance4j.testutil.Assert;
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

        double[] y = new double[n * o * h * w], dx = new double[n * c * h * w], dw = new double[o * c * 9];
        for (int s = 0; s < n; s++) {
            for (int oc = 0; oc < o; oc++) {
                for (int oy = 0; oy < h; oy++) {
                    for (int ox = 0; ox < w; ox++) {
                        int yi = ((s * o + oc) * h + oy) * w + ox;
                        double sum = 0, g0 = dy[yi];
                        for (int ic = 0; ic < c; ic++) {
                            for (int kh = 0; kh < 3; kh++) {
                                int iy = oy + kh - 1;
                                if (iy < 0 || iy >= h) continue;
                                for (int kw = 0; kw < 3; kw++) {
                                    int ix = ox + kw - 1;
                                    if (ix < 0 || ix >= w) continue;
                                    int xi = ((s * c + ic) * h + iy) * w + ix, wi = ((oc * c + ic) * 3 + kh) * 3 + kw;
                                    sum += (double) x[xi] * wt[wi];
                                    dx[xi] += g0 * wt[wi];
                                    dw[wi] += g0 * x[xi];
                                }
                            }
                        }
                        y[yi] = sum;
                    }
                }
            }
        }
        String what = c + " → " + o + " channels, " + h + " × " + w + ", " + n + " images: ";
        Assert.close(what + "forward", toFloat(y), g.output().toArray(), ATOL, RTOL);
        Assert.close(what + "input gradient", toFloat(dx), g.inputGrad().toArray(), ATOL, RTOL);
        Assert.close(what + "weight gradient", toFloat(dw), g.gradOf(g.trainable().get(0)).toArray(), ATOL * n * h * w, RTOL);
    }

    private static float[] toFloat(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
        return f;
    }
}
