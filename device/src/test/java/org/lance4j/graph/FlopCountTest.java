package org.lance4j.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.lance4j.compress.ConvBasis;
import org.lance4j.compress.LanceConvTest;

/**
 * Multiply-adds counted at every kernel call, against closed forms: the peers' vanilla formulas for
 * full backprop (ASI's README conventions: MAC-style, no ×2) and the closed form of LANCE's projection
 * sequence, which must stay under the peers' coarser LANCE bound B·C·H·W·Σr.
 */
class FlopCountTest {
    static long step(LanceConvTest.Setup s, Graph.Config cfg, long[] out) {
        Graph g = Graph.plan(s.model(), cfg);
        g.input().copyFrom(s.x(), 0);
        g.zeroGrads();
        g.forwardTraining();
        g.outputGrad().copyFrom(s.g(), 0);
        g.backward();
        out[0] = g.macsForward();
        out[1] = g.macsBackward();
        return out[0] + out[1];
    }

    @Test
    void backpropMatchesThePeersVanillaFormulas() {
        int cases = 0;
        for (int[] c : LanceConvTest.CASES) {
            LanceConvTest.Setup s = LanceConvTest.setup(c, 91 + cases, false);
            int C = c[0], H = c[1], W = c[2], O = c[3], K = c[4], S = c[5], P = c[6], B = c[7];
            long oh = (H + 2 * P - K) / S + 1, ow = (W + 2 * P - K) / S + 1;
            long vanilla = (long) K * K * O * C * oh * ow * B;      // KH·KW·C'·C·H'·W'·B
            long[] m = new long[2];
            step(s, Graph.Config.train(B, TrainableRule.all()), m);
            assertEquals(vanilla, m[0], "forward, case " + cases);
            assertEquals(vanilla, m[1], "backward is dW only: the conv reads the input, which needs no gradient");
            step(s, Graph.Config.train(B, TrainableRule.all()).withInputGradient(), m);
            assertEquals(2 * vanilla, m[1], "dW + dX, case " + cases);
            cases++;
        }
        assertEquals(LanceConvTest.CASES.length, cases);
    }

    @Test
    void lanceProjectionMatchesItsClosedFormAndUndercutsBackprop() {
        int cases = 0;
        for (int[] c : LanceConvTest.CASES) {
            LanceConvTest.Setup s = LanceConvTest.setup(c, 95 + cases, false);
            int C = c[0], H = c[1], W = c[2], O = c[3], K = c[4], S = c[5], P = c[6], B = c[7];
            ConvBasis u = s.basis();
            long oh = (H + 2 * P - K) / S + 1, ow = (W + 2 * P - K) / S + 1;
            long conv = (long) K * K * O * C * oh * ow * B;
            int rB = u.rB(), rC = u.rC(), rH = u.rH(), rW = u.rW();
            long projection = (long) B * C * H * W * rW + (long) B * C * rH * rW * H + (long) B * rC * rH * rW * C
                    + (u.projectsBatch() ? (long) rB * rC * rH * rW * B : 0);
            long[] m = new long[2];
            step(s, Graph.Config.train(B, TrainableRule.all()).withCompression(Map.of("conv", u)), m);
            assertEquals(conv + projection, m[0], "forward = conv + projection, case " + cases);
            long peersBound = (long) B * C * H * W * ((u.projectsBatch() ? rB : 0) + rC + rH + rW);
            assertTrue(projection <= peersBound, "sequential projection ≤ B·C·H·W·Σr, case " + cases);
            long bwd = (u.projectsBatch() ? (long) rB * O * oh * ow * B : 0)              // dY ×_B U_Bᵀ
                    + (long) rB * rC * ((long) rH * W * rW + (long) H * W * rH)       // spatial rebuild
                    + (long) rB * O * rC * K * K * oh * ow                             // weight-gradient conv in r_C
                    + (long) O * C * K * K * rC;                                       // expand with U_C
            assertEquals(bwd, m[1], "LANCE backward closed form, case " + cases);
            cases++;
        }
        assertEquals(LanceConvTest.CASES.length, cases);
        // at a realistic size LANCE's backward undercuts backprop's
        int[] big = {32, 14, 14, 32, 3, 1, 1, 16, 4, 4, 4, 0};
        LanceConvTest.Setup s = LanceConvTest.setup(big, 3, false);
        long[] bp = new long[2], lance = new long[2];
        step(s, Graph.Config.train(16, TrainableRule.all()), bp);
        step(s, Graph.Config.train(16, TrainableRule.all()).withCompression(Map.of("conv", s.basis())), lance);
        assertTrue(lance[1] * 4 < bp[1], "LANCE backward " + lance[1] + " vs BP " + bp[1]);
    }
}
