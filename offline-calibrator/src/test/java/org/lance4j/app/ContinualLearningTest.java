package org.lance4j.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.lance4j.calib.Calibrator;
import org.lance4j.calib.ContinualMemory;
import org.lance4j.calib.LayerInput;
import org.lance4j.calib.NullSpaceCalibrator;
import org.lance4j.compress.ConvBasis;
import org.lance4j.compress.SubspaceMemory;
import org.lance4j.data.BatchLoader;
import org.lance4j.data.Dataset;
import org.lance4j.data.Normalization;
import org.lance4j.graph.Graph;
import org.lance4j.graph.Model;
import org.lance4j.graph.ModelSpec;
import org.lance4j.graph.SpecBuilder;
import org.lance4j.tensor.Shape;

/**
 * Continual learning: ACC and BWT on a hand-made matrix; LANCE-CL's new-task bases orthogonal to the memory
 * within 1e-4; with a threshold that makes P span all of task 1's inputs, training task 2 with GPM or with
 * LANCE-CL leaves task 1's accuracy unchanged and its logits within float tolerance, while naive fine-tuning
 * on the same run moves them — and the shared weights did move in every method.
 */
class ContinualLearningTest {
    /** 4 classes of 10 × 10 images: noise plus a bright quadrant (class 0: top-left, 1: bottom-right, 2: top-right, 3: bottom-left). */
    static Dataset quadrants(int perClass, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int n = 4 * perClass;
        byte[] px = new byte[n * 100];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            int c = i % 4;
            y[i] = c;
            int qy = c == 0 || c == 2 ? 0 : 5, qx = c == 0 || c == 3 ? 0 : 5;
            for (int p = 0; p < 100; p++) {
                int py = p / 10, pxx = p % 10;
                boolean in = py >= qy && py < qy + 5 && pxx >= qx && pxx < qx + 5;
                px[i * 100 + p] = (byte) (r.nextInt(90) + (in ? 110 : 0));
            }
        }
        return new Dataset("quadrants", Shape.of(1, 10, 10), px, y, 4);
    }

    static ModelSpec net() {
        SpecBuilder b = new SpecBuilder("cl-net", 1, 10, 10);
        String x = b.maxPool("pool", b.relu("r1", b.conv("c1", ModelSpec.INPUT, 8, 3, 1, 0, 1, false)), 2, 2, 0);
        x = b.relu("r2", b.linear("fc1", b.flatten("flat", x), 64, false));
        b.linear("head0", x, 2, false);
        b.linear("head1", x, 2, false);
        return b.build();
    }

    static ContinualLearning.Config config(double threshold, int samples) {
        return new ContinualLearning.Config(3, 8, 0.05f, 0.9f, 16, threshold, 0, samples, 4, 0.99, 1.0, false, 11);
    }

    @Test
    void accAndBwtFollowTheirDefinitions() {
        double n = Double.NaN;
        double[][] a = {{0.9, n, n}, {0.7, 0.8, n}, {0.6, 0.75, 0.95}};
        assertEquals((0.6 + 0.75 + 0.95) / 3, ContinualLearning.acc(a), 1e-12);
        assertEquals(((0.6 - 0.9) + (0.75 - 0.8)) / 2, ContinualLearning.bwt(a), 1e-12);
        assertEquals(0, ContinualLearning.bwt(new double[][] {{0.5}}), 0);
        assertEquals(0.97, ContinualMemory.threshold(0, 0.97, 0.003), 1e-12);
        assertEquals(0.982, ContinualMemory.threshold(4, 0.97, 0.003), 1e-12);
        assertEquals(1.0, ContinualMemory.threshold(40, 0.97, 0.003), 0);
    }

    @Test
    void splitRelabelsConsecutiveClassesPerTask() {
        Dataset d = quadrants(5, 1);
        List<ContinualLearning.Task> t = ContinualLearning.split(d, d, 2, 2, 0, 6);
        assertEquals(2, t.size());
        assertEquals(10, t.get(1).train().size());
        assertEquals(6, t.get(1).test().size());
        for (int i = 0; i < t.get(1).train().size(); i++) assertTrue(t.get(1).train().label(i) < 2);
        assertEquals(2, t.get(1).train().classes());
        assertThrows(IllegalArgumentException.class, () -> ContinualLearning.split(d, d, 3, 2, 0, 0));
    }

    @Test
    void newTaskBasesAreOrthogonalToTheMemory() {
        Dataset d = quadrants(24, 2);
        List<ContinualLearning.Task> tasks = ContinualLearning.split(d, d, 2, 2, 0, 0);
        Normalization norm = d.statistics();
        Model m = Model.initialized(net(), 3);
        ContinualLearning.Config c = config(0.97, 40);
        ContinualLearning.firstTask(m, tasks, norm, c, null);
        List<String> shared = LayerInput.sharedLayers(m.spec());
        assertEquals(List.of("c1", "fc1"), shared, "heads are not shared layers");
        ContinualMemory.Result mem = ContinualMemory.update(m, tasks.get(0).train(), norm, shared, Map.of(), 0.97, 40, 5);
        for (ContinualMemory.LayerUpdate u : mem.updates()) {
            assertTrue(u.added() > 0 && u.spannedAfter() >= 0.97, u.toString());
        }
        NullSpaceCalibrator.Result cal = NullSpaceCalibrator.calibrate(m, tasks.get(1).train(), norm,
                new NullSpaceCalibrator.Settings(shared, 0.99, 0.99, 4, 8, true, 6), mem.memory(), null);
        assertTrue(cal.layers().containsKey("fc1"), "fc1's 128-wide input leaves a null space");
        for (Map.Entry<String, Calibrator.Layer> e : cal.layers().entrySet()) {
            ConvBasis b = e.getValue().basis();
            SubspaceMemory p = mem.memory().get(e.getKey());
            assertEquals(p.d(), b.c());
            assertTrue(p.k() > 0 && b.rC() >= 1);
            double worst = 0;
            for (int i = 0; i < p.k(); i++) {
                for (int j = 0; j < b.rC(); j++) {
                    double dot = 0;
                    for (int q = 0; q < p.d(); q++) dot += (double) p.p()[q * p.k() + i] * b.uC()[q * b.rC() + j];
                    worst = Math.max(worst, Math.abs(dot));
                }
            }
            assertTrue(worst <= 1e-4, e.getKey() + ": |Pᵀ U_in| = " + worst);
            for (int i = 0; i < b.rC(); i++) {
                for (int j = 0; j < b.rC(); j++) {
                    double dot = 0;
                    for (int q = 0; q < b.c(); q++) dot += (double) b.uC()[q * b.rC() + i] * b.uC()[q * b.rC() + j];
                    assertEquals(i == j ? 1 : 0, dot, 1e-4, e.getKey() + ": U_in orthonormal");
                }
            }
        }
    }

    /** Head-0 logits of every task-0 test image. */
    static float[] logits(Model m, Dataset test, Normalization norm) {
        Graph g = Graph.plan(m, Graph.Config.inference(test.size()).withOutput("head0"));
        BatchLoader.fill(test, norm, 0, test.size(), g.input().data, g.input().offset, new int[test.size()]);
        g.forwardInference();
        return g.output().toArray();
    }

    static double maxDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }

    static double weightChange(Model a, Model b, String p) {
        float[] x = a.param(p).value().toArray(), y = b.param(p).value().toArray();
        double s = 0, n = 0;
        for (int i = 0; i < x.length; i++) {
            s += (x[i] - y[i]) * (x[i] - y[i]);
            n += x[i] * x[i];
        }
        return Math.sqrt(s / n);
    }

    @Test
    void aMemorySpanningTaskOneKeepsItExactly() {
        // task 0's 48 training images are its test images and its memory samples; threshold 1: P spans them all
        Dataset d = quadrants(24, 4);
        List<ContinualLearning.Task> tasks = ContinualLearning.split(d, d, 2, 2, 0, 0);
        Normalization norm = d.statistics();
        Model first = Model.initialized(net(), 5);
        ContinualLearning.Config c = config(1.0, 48);
        ContinualLearning.TaskReport r0 = ContinualLearning.firstTask(first, tasks, norm, c, null);
        float[] before = logits(first, tasks.get(0).test(), norm);
        double scale = 0;
        for (float v : before) scale = Math.max(scale, Math.abs(v));

        ContinualLearning.Run naive = ContinualLearning.runSequential(ContinualLearning.Method.NAIVE, first, r0, tasks, norm, c, null);
        double naiveMove = maxDiff(before, logits(naive.model(), tasks.get(0).test(), norm));
        assertTrue(naiveMove > 0.05 * scale, "naive fine-tuning barely moved task 0's logits (" + naiveMove + "), so this test proves nothing");
        for (ContinualLearning.Method m : new ContinualLearning.Method[] {ContinualLearning.Method.GPM, ContinualLearning.Method.LANCE_CL}) {
            ContinualLearning.Run run = ContinualLearning.runSequential(m, first, r0, tasks, norm, c, null);
            assertEquals(0, run.bwt(), 1e-12, m.id + ": BWT");
            assertEquals(run.accuracy()[0][0], run.accuracy()[1][0], 0, m.id + ": task 0 accuracy unchanged");
            double move = maxDiff(before, logits(run.model(), tasks.get(0).test(), norm));
            assertTrue(move <= 1e-3 * scale, m.id + ": task 0's logits moved by " + move + " (scale " + scale + ")");
            assertTrue(weightChange(first, run.model(), "fc1.weight") > 1e-3, m.id + ": fc1 did not train");
            assertTrue(run.accuracy()[1][1] > 0.9, m.id + ": task 1 not learnt: " + run.accuracy()[1][1]);
            assertEquals(4L * 64 * 0 + run.memoryBytes(), run.tasks().get(1).memoryBytes());
        }
    }
}
