package org.lance4j.compress;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.lance4j.graph.Graph;
import org.lance4j.graph.TrainableRule;
import org.lance4j.linalg.SymmetricEigen;
import org.lance4j.nn.Conv2d;
import org.lance4j.testutil.Assert;
import org.lance4j.testutil.Steps;

/**
 * HOSVD's store: every step, each of the four modes is decomposed from the batch's Gram and kept at
 * the energy rank. Checked against an independent double-precision decomposition (ranks, then the exact
 * gradient of the projected input); near-full energy gives backprop; the peak is exactly core + factors.
 */
class HosvdConvTest {
    static final double ATOL = 5e-4, RTOL = 1e-3;

    /** The top-r eigenvectors (D, r) of the mode's Gram in double, r by the energy rule. */
    static float[] eigenFactor(float[] x, int[] dims, int mode, double energy, int[] rankOut) {
        int d = dims[mode];
        double[] g = LanceConvTest.modeGram(x, dims, mode);
        SymmetricEigen.Result r = SymmetricEigen.decompose(g, d);
        int rank = SymmetricEigen.rankForEnergy(r.values(), energy);
        rankOut[mode] = rank;
        float[] u = new float[d * rank];
        for (int i = 0; i < d; i++) for (int j = 0; j < rank; j++) u[i * rank + j] = (float) r.vector(i, j);
        return u;
    }

    static Graph step(LanceConvTest.Setup s, double energy) {
        Graph.Config cfg = Graph.Config.train(s.c()[7], TrainableRule.all());
        if (energy > 0) cfg = cfg.withHosvd(energy);
        Graph g = Steps.withOutputGrad(Graph.plan(s.model(), cfg), s.x(), s.g());
        return g;
    }

    @Test
    void stepEqualsTheExactGradientOfTheBatchsOwnDecomposition() {
        int cases = 0;
        for (int[] c : LanceConvTest.CASES) {
            LanceConvTest.Setup s = LanceConvTest.setup(c, 71 + cases, false);
            double energy = 0.8;
            Graph g = step(s, energy);
            int[] dims = {c[7], c[0], c[1], c[2]}, r = new int[4];
            float[] uB = eigenFactor(s.x(), dims, 0, energy, r), uC = eigenFactor(s.x(), dims, 1, energy, r);
            float[] uH = eigenFactor(s.x(), dims, 2, energy, r), uW = eigenFactor(s.x(), dims, 3, energy, r);
            assertArrayEquals(r, ((Conv2d) g.layer("conv")).ranks(), "ranks of case " + cases);
            ConvBasis expected = new ConvBasis(dims[0], dims[1], dims[2], dims[3], uB, r[0], uC, r[1], uH, r[2], uW, r[3]);
            LanceConvTest.Setup e = new LanceConvTest.Setup(s.model(), expected, s.x(), s.g(), c);
            float[] ref = LanceConvTest.exactWeightGrad(LanceConvTest.projectedInput(e), s.g(), c);
            Assert.close("HOSVD dW, case " + cases, ref, g.gradOf(s.model().param("conv.weight")).toArray(), ATOL, RTOL);
            long held = 4L * (expected.coreSize() + expected.factorSize());
            assertEquals(held, g.held().peakBytes(), "peak = this step's core + factors, case " + cases);
            cases++;
        }
        assertEquals(LanceConvTest.CASES.length, cases);
    }

    @Test
    void fullEnergyGivesBackprop() {
        LanceConvTest.Setup s = LanceConvTest.setup(LanceConvTest.CASES[0], 81, false);
        float[] bp = step(s, 0).gradOf(s.model().param("conv.weight")).toArray();
        Graph g = step(s, 1.0);
        Assert.close("HOSVD at energy 1 vs BP", bp, g.gradOf(s.model().param("conv.weight")).toArray(), 2e-4, 1e-3);
    }
}
