package org.lance4j.compress;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.lance4j.graph.Graph;
import org.lance4j.graph.TrainableRule;
import org.lance4j.nn.Conv2d;
import org.lance4j.tensor.Tensor;
import org.lance4j.testutil.Assert;
import org.lance4j.testutil.Steps;

/**
 * ASI's store: before projecting, each factor takes one warm-started subspace iteration on the batch,
 * U ← orth(X₍ₙ₎X₍ₙ₎ᵀ U₀). Checked against an independent double-precision computation of those U and
 * of the exact gradient of the projected input; full ranks give full backprop; factors stay orthonormal.
 */
class AsiConvTest {
    static final double ATOL = 5e-4, RTOL = 1e-3;

    /** U = Gram–Schmidt(G · U₀) in double, G the Gram of the given mode of x (B, C, H, W). */
    static float[] expectedFactor(float[] x, int[] dims, int mode, float[] u0, int r) {
        int d = dims[mode];
        double[] g = LanceConvTest.modeGram(x, dims, mode);
        double[] v = new double[d * r];
        for (int i = 0; i < d; i++) for (int j = 0; j < r; j++) for (int k = 0; k < d; k++) v[i * r + j] += g[i * d + k] * u0[k * r + j];
        for (int j = 0; j < r; j++) {
            for (int p = 0; p < j; p++) {
                double dot = 0;
                for (int i = 0; i < d; i++) dot += v[i * r + p] * v[i * r + j];
                for (int i = 0; i < d; i++) v[i * r + j] -= dot * v[i * r + p];
            }
            double n = 0;
            for (int i = 0; i < d; i++) n += v[i * r + j] * v[i * r + j];
            for (int i = 0; i < d; i++) v[i * r + j] /= Math.sqrt(n);
        }
        float[] f = new float[d * r];
        for (int i = 0; i < f.length; i++) f[i] = (float) v[i];
        return f;
    }

    static Graph step(LanceConvTest.Setup s, boolean asi) {
        Graph.Config cfg = Graph.Config.train(s.c()[7], TrainableRule.all());
        if (asi) cfg = cfg.withCompression(Map.of("conv", s.basis())).withSubspaceIteration();
        Graph g = Steps.withOutputGrad(Graph.plan(s.model(), cfg), s.x(), s.g());
        return g;
    }

    @Test
    void oneStepEqualsTheExactGradientWithRefreshedFactors() {
        int cases = 0;
        for (int[] c : LanceConvTest.CASES) {
            LanceConvTest.Setup s = LanceConvTest.setup(c, 51 + cases, false);
            Graph g = step(s, true);
            int[] dims = {c[7], c[0], c[1], c[2]};
            ConvBasis u0 = s.basis();
            ConvBasis refreshed = new ConvBasis(u0.b(), u0.c(), u0.h(), u0.w(),
                    u0.uB() == null ? null : expectedFactor(s.x(), dims, 0, u0.uB(), u0.rB()), u0.uB() == null ? 0 : u0.rB(),
                    expectedFactor(s.x(), dims, 1, u0.uC(), u0.rC()), u0.rC(), expectedFactor(s.x(), dims, 2, u0.uH(), u0.rH()), u0.rH(),
                    expectedFactor(s.x(), dims, 3, u0.uW(), u0.rW()), u0.rW());
            Conv2d layer = (Conv2d) g.layer("conv");
            Assert.close("U_C, case " + cases, refreshed.uC(), layer.factor('C').toArray(), 1e-4, 1e-3);
            Assert.close("U_W, case " + cases, refreshed.uW(), layer.factor('W').toArray(), 1e-4, 1e-3);
            LanceConvTest.Setup expect = new LanceConvTest.Setup(s.model(), refreshed, s.x(), s.g(), c);
            float[] ref = LanceConvTest.exactWeightGrad(LanceConvTest.projectedInput(expect), s.g(), c);
            Assert.close("ASI dW, case " + cases, ref, g.gradOf(s.model().param("conv.weight")).toArray(), ATOL, RTOL);
            cases++;
        }
        assertEquals(LanceConvTest.CASES.length, cases);
    }

    @Test
    void fullRanksGiveBackpropAndFactorsStayOrthonormal() {
        LanceConvTest.Setup s = LanceConvTest.setup(LanceConvTest.CASES[1], 61, true);
        float[] bp = step(s, false).gradOf(s.model().param("conv.weight")).toArray();
        Graph g = step(s, true);
        Assert.close("full-rank ASI vs BP", bp, g.gradOf(s.model().param("conv.weight")).toArray(), 2e-4, 1e-3);
        LanceConvTest.Setup low = LanceConvTest.setup(LanceConvTest.CASES[1], 62, false);
        Graph a = Graph.plan(low.model(), Graph.Config.train(3, TrainableRule.all()).withCompression(Map.of("conv", low.basis()))
                .withSubspaceIteration());
        for (int t = 0; t < 5; t++) {
            Steps.withOutputGrad(a, low.x(), low.g());
        }
        Conv2d layer = (Conv2d) a.layer("conv");
        for (char m : new char[] {'B', 'C', 'H', 'W'}) {
            Tensor u = layer.factor(m);
            int d = u.shape.dim(0), r = u.shape.dim(1);
            for (int i = 0; i < r; i++) {
                for (int j = 0; j < r; j++) {
                    double dot = 0;
                    for (int k = 0; k < d; k++) dot += (double) u.get(k * r + i) * u.get(k * r + j);
                    assertEquals(i == j ? 1 : 0, dot, 1e-4, "UᵀU of mode " + m);
                }
            }
        }
    }
}
