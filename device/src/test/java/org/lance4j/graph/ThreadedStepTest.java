package org.lance4j.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.lance4j.kernel.Workers;
import org.lance4j.tensor.Shape;
import org.lance4j.testutil.Rnd;
import org.lance4j.train.Sgd;
import org.lance4j.train.SgdConfig;
import org.lance4j.train.Trainer;

/**
 * Training on several kernel threads changes nothing but the time: from the same weights, steps on 1, 2
 * and 3 threads leave bit-identical parameters and losses (the kernels split output tiles, never a sum),
 * and the pool really was used.
 */
class ThreadedStepTest {
    @Test
    void stepsOnOneTwoAndThreeThreadsGiveIdenticalBits() {
        check(NoAllocationTest.everyLayer(32), 20);
    }

    @Test
    void channelsLastDepthwiseOnOneTwoAndThreeThreadsGivesIdenticalBits() {
        check(NoAllocationTest.smallPlanes(), 10);
    }

    @Test
    void perPlaneDepthwiseBatchNormAndActivationsOnOneTwoAndThreeThreadsGiveIdenticalBits() {
        check(NoAllocationTest.largePlanes(), 20);
    }

    @Test
    void chunkedConvolutionsOnOneTwoAndThreeThreadsGiveIdenticalBits() {
        check(NoAllocationTest.wideChunks(), 8);
    }

    private static void check(ModelSpec spec, int size) {
        Rnd r = new Rnd(21);
        float[] images = r.uniform(8 * 3 * size * size);
        int[] labels = new int[8];
        for (int i = 0; i < labels.length; i++) labels[i] = r.nextInt(10);
        float[] reference = null;
        double[] refLoss = null;
        for (int threads = 1; threads <= 3; threads++) {
            try (Workers w = new Workers(threads)) {
                Model m = Model.initialized(spec, 5);
                Graph g = Graph.plan(m, Graph.Config.train(8, TrainableRule.all()).withWorkers(w));
                Trainer t = new Trainer(g, new Sgd(g, SgdConfig.paperFineTuning(10)), 4);
                double[] loss = new double[4];
                for (int s = 0; s < loss.length; s++) loss[s] = t.step(images, 0, Shape.of(8, 3, size, size), labels, 0);
                if (threads > 1 && org.lance4j.kernel.Vec.ENABLED) assertTrue(w.calls() > 0, "the graph's kernels went through the pool");
                if (reference == null) {
                    reference = m.storage().clone();
                    refLoss = loss;
                } else {
                    assertArrayEquals(refLoss, loss, threads + " threads: losses");
                    assertArrayEquals(reference, m.storage(), threads + " threads: parameters after 4 steps");
                }
            }
        }
    }
}
