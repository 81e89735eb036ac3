package org.lance4j.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.lance4j.testutil.Assert;
import org.lance4j.testutil.Rnd;

/** Element-wise kernels, bit-packed masks and the SGD update: vector paths against scalar references. */
class ElementwiseTest {
    /** One fused multiply-add against a separate multiply and add: one rounding apart. */
    static final double FMA_ATOL = 1e-6;
    static final double FMA_RTOL = 1e-6;
    static final int[] LENGTHS = {1, 2, 3, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 257};

    @Test
    void masksMatchScalarBitForBit() {
        Rnd r = new Rnd(6);
        int cases = 0;
        for (int n : LENGTHS) {
            for (float cap : new float[] {Float.POSITIVE_INFINITY, 6f}) {
                float[] x = r.uniform(n + 1, -8, 8);
                x[0] = 0f; // the boundary: ReLU'(0) = 0 as in PyTorch
                if (n > 2) x[2] = 6f;
                int words = (n + 31) / 32;
                int[] bs = new int[words + 1], bv = new int[words + 1];
                float[] ys = new float[n + 1], yv = new float[n + 1];
                Elementwise.clampForwardScalar(x, 0, ys, 0, n, cap, bs, 1, 0);
                Elementwise.clampForwardVector(x, 0, yv, 0, n, cap, bv, 1);
                assertArrayEquals(bs, bv, "mask bits n=" + n + " cap=" + cap);
                assertArrayEquals(ys, yv, "clamp n=" + n + " cap=" + cap);
                for (int e = 0; e < n; e++) {
                    boolean pass = x[e] > 0 && x[e] < cap;
                    assertEquals(pass, ((bs[1 + e / 32] >>> (e % 32)) & 1) == 1, "bit " + e);
                }
                float[] clamp = new float[n + 1];
                Elementwise.clamp(x, 0, clamp, 0, n, cap);
                assertArrayEquals(ys, clamp, "clamp without mask n=" + n);
                float[] dy = r.uniform(n), ds = r.uniform(n), dv = ds.clone();
                Elementwise.maskedBackwardScalar(dy, 0, bs, 1, 0.5f, ds, 0, n, 0);
                Elementwise.maskedBackwardVector(dy, 0, bs, 1, 0.5f, dv, 0, n);
                Assert.close("masked backward n=" + n, ds, dv, FMA_ATOL, FMA_RTOL);
                // the overwriting form (a masked backward that writes dx first; dropout's forward)
                float[] os = new float[n + 1], ov = new float[n + 1];
                java.util.Arrays.fill(ov, Float.NaN);
                ov[n] = os[n] = 3f;   // past the range: untouched
                Elementwise.maskedScaleScalar(dy, 0, bs, 1, 0.5f, os, 0, n, 0);
                Elementwise.maskedScaleVector(dy, 0, bs, 1, 0.5f, ov, 0, n);
                assertArrayEquals(os, ov, "masked scale n=" + n);
                for (int e = 0; e < n; e++) assertEquals(((bs[1 + e / 32] >>> (e % 32)) & 1) == 1 ? 0.5f * dy[e] : 0f, os[e], "masked scale " + e);
                cases++;
            }
        }
        assertEquals(2 * LENGTHS.length, cases);
    }

    @Test
    void arithmeticMatchesDefinitions() {
        Rnd r = new Rnd(7);
        int cases = 0;
        for (int n : LENGTHS) {
            float[] a = r.uniform(n + 3), b = r.uniform(n + 3);
            float[] out = new float[n + 3], ref = new float[n + 3];
            Elementwise.add(a, 1, b, 2, out, 3, n);
            for (int i = 0; i < n; i++) ref[3 + i] = a[1 + i] + b[2 + i];
            Assert.close("add n=" + n, ref, out, 0, 0);

            float[] y = b.clone();
            Elementwise.axpy(0.7f, a, 0, y, 1, n);
            float[] yr = b.clone();
            for (int i = 0; i < n; i++) yr[1 + i] += 0.7f * a[i];
            Assert.close("axpy n=" + n, yr, y, FMA_ATOL, FMA_RTOL);

            float[] sc = a.clone();
            Elementwise.scale(sc, 2, n, -1.5f);
            float[] scr = a.clone();
            for (int i = 0; i < n; i++) scr[2 + i] *= -1.5f;
            Assert.close("scale n=" + n, scr, sc, 0, 0);

            float[] ss = new float[n], ssr = new float[n];
            Elementwise.scaleShift(a, 1, ss, 0, n, 1.3f, -0.2f);
            for (int i = 0; i < n; i++) ssr[i] = 1.3f * a[1 + i] - 0.2f;
            Assert.close("scaleShift n=" + n, ssr, ss, FMA_ATOL, FMA_RTOL);

            float[] as = a.clone();
            Elementwise.addScalar(as, 0, n, 0.25f);
            float[] asr = a.clone();
            for (int i = 0; i < n; i++) asr[i] += 0.25f;
            Assert.close("addScalar n=" + n, asr, as, 0, 0);

            float[] xh = r.uniform(n), dx = r.uniform(n), dxr = dx.clone();
            Elementwise.bnBackward(a, 0, xh, 0, dx, 0, n, 0.9f, 0.1f, -0.3f);
            for (int i = 0; i < n; i++) dxr[i] += 0.9f * (a[i] - 0.1f - xh[i] * -0.3f);
            Assert.close("bnBackward n=" + n, dxr, dx, 4 * FMA_ATOL, 4 * FMA_RTOL);
            // the first writer of dx: overwritten, whatever it held
            float[] dxo = r.uniform(n), dxor = new float[n];
            java.util.Arrays.fill(dxo, Float.NaN);
            Elementwise.bnBackward(a, 0, xh, 0, dxo, 0, n, 0.9f, 0.1f, -0.3f, false);
            for (int i = 0; i < n; i++) dxor[i] = 0.9f * (a[i] - 0.1f - xh[i] * -0.3f);
            Assert.close("bnBackward overwriting n=" + n, dxor, dxo, 4 * FMA_ATOL, 4 * FMA_RTOL);

            float[] mu = new float[n + 1], mur = new float[n + 1];
            Elementwise.mul(a, 1, b, 0, mu, 1, n);
            for (int i = 0; i < n; i++) mur[1 + i] = a[1 + i] * b[i];
            Assert.close("mul n=" + n, mur, mu, 0, 0);
            cases++;
        }
        assertEquals(LENGTHS.length, cases);
    }

    /** The per-element-coefficient kernels (channel-major BN) fuse in lanes and tails alike: the fused definition's bits. */
    @Test
    void perElementCoefficientKernelsGiveTheFusedDefinitionsBits() {
        Rnd r = new Rnd(9);
        int cases = 0;
        for (int n : LENGTHS) {
            float[] x = r.uniform(n + 1), a = r.uniform(n + 2), b = r.uniform(n + 3), acc = r.uniform(n + 1);
            float[] y = new float[n + 2], yr = new float[n + 2];
            Elementwise.mulAdd(x, 1, a, 2, b, 3, y, 2, n);
            for (int i = 0; i < n; i++) yr[2 + i] = Math.fma(x[1 + i], a[2 + i], b[3 + i]);
            Assert.close("mulAdd n=" + n, yr, y, 0, 0);

            float[] am = acc.clone(), amr = acc.clone();
            Elementwise.accMul(x, 1, a, 0, am, 1, n);
            for (int i = 0; i < n; i++) amr[1 + i] = Math.fma(x[1 + i], a[i], amr[1 + i]);
            Assert.close("accMul n=" + n, amr, am, 0, 0);

            // add and accMul fused into one pass over x: the two kernels' bits (sums at 1, products at 2 + n in one array)
            float[] two = r.uniform(2 * n + 3), twoRef = two.clone();
            Elementwise.add(x, 1, twoRef, 1, twoRef, 1, n);
            Elementwise.accMul(x, 1, a, 0, twoRef, 2 + n, n);
            Elementwise.addAndAccMul(x, 1, a, 0, two, 1, 2 + n, n);
            Assert.sameBits(twoRef, two, "addAndAccMul n=" + n);

            // scaleShift and mulAdd twice in one pass: the two calls' bits (h and y)
            float[] h1 = new float[n + 1], y1 = new float[n + 2], h2 = new float[n + 1], y2 = new float[n + 2];
            Elementwise.scaleShift(x, 1, h1, 1, n, 0.7f, -0.3f);
            Elementwise.scaleShift(h1, 1, y1, 2, n, 1.3f, 0.1f);
            Elementwise.scaleShiftTwice(x, 1, h2, 1, y2, 2, n, 0.7f, -0.3f, 1.3f, 0.1f);
            Assert.sameBits(h1, h2, "scaleShiftTwice h n=" + n);
            Assert.sameBits(y1, y2, "scaleShiftTwice y n=" + n);
            float[] co = r.uniform(4 * n + 1);
            Elementwise.mulAdd(x, 1, co, 1, co, 1 + n, h1, 1, n);
            Elementwise.mulAdd(h1, 1, co, 1 + 2 * n, co, 1 + 3 * n, y1, 2, n);
            Elementwise.mulAddTwice(x, 1, co, 1, 1 + n, 1 + 2 * n, 1 + 3 * n, h2, 1, y2, 2, n);
            Assert.sameBits(h1, h2, "mulAddTwice h n=" + n);
            Assert.sameBits(y1, y2, "mulAddTwice y n=" + n);

            float[] sq = acc.clone(), sqr = acc.clone();
            Elementwise.accSqDiff(x, 0, b, 2, sq, 1, n);
            for (int i = 0; i < n; i++) {
                float d = x[i] - b[2 + i];
                sqr[1 + i] = Math.fma(d, d, sqr[1 + i]);
            }
            Assert.close("accSqDiff n=" + n, sqr, sq, 0, 0);

            // coefficients k, m1, m2 side by side in one array, as the workspace holds them
            float[] coef = r.uniform(3 * n + 1), dy = r.uniform(n), xh = r.uniform(n + 1), dx = r.uniform(n + 1), dxr = dx.clone();
            Elementwise.bnBackward(dy, 0, xh, 1, dx, 1, n, coef, 1, 1 + n, 1 + 2 * n, true);
            for (int i = 0; i < n; i++) {
                float t = dy[i] - coef[1 + n + i] - xh[1 + i] * coef[1 + 2 * n + i];
                dxr[1 + i] = Math.fma(t, coef[1 + i], dxr[1 + i]);
            }
            Assert.close("bnBackward per element n=" + n, dxr, dx, 0, 0);
            float[] dxo = new float[n + 1], dxor = new float[n + 1];
            java.util.Arrays.fill(dxo, Float.NaN);   // overwritten, whatever it held
            dxo[0] = dxor[0] = 7f;                   // before the range: untouched
            Elementwise.bnBackward(dy, 0, xh, 1, dxo, 1, n, coef, 1, 1 + n, 1 + 2 * n, false);
            for (int i = 0; i < n; i++) {
                float t = dy[i] - coef[1 + n + i] - xh[1 + i] * coef[1 + 2 * n + i];
                dxor[1 + i] = Math.fma(t, coef[1 + i], 0f);
            }
            Assert.close("bnBackward per element, overwriting n=" + n, dxor, dxo, 0, 0);
            cases++;
        }
        assertEquals(LENGTHS.length, cases);
    }

    /**
     * An eval-mode BN fused with the ReLU/ReLU6 after it gives the bits of the two kernels run one after the other,
     * on values that straddle 0 and the cap, with -0, NaN and infinities among them.
     */
    @Test
    void bnAndActivationFusedGiveTheBitsOfTheTwoPasses() {
        Rnd r = new Rnd(11);
        int cases = 0;
        for (int n : LENGTHS) {
            float[] x = r.uniform(n + 1);
            for (int i = 0; i < x.length; i++) x[i] *= 9f;
            float[] specials = {-0f, 0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 6f, -1e-30f};
            for (int i = 0; i < Math.min(n, specials.length); i++) x[1 + i * 3 % n] = specials[i];
            float[] a = r.uniform(n + 2), b = r.uniform(n + 3);
            for (float cap : new float[] {6f, Float.POSITIVE_INFINITY}) {
                float[] y = new float[n + 2], yr = new float[n + 2], t = new float[n + 2];
                Arrays.fill(y, 7f);
                Arrays.fill(yr, 7f);
                Elementwise.scaleShiftClamp(x, 1, y, 1, n, 1.7f, -0.4f, cap);
                Elementwise.scaleShift(x, 1, t, 1, n, 1.7f, -0.4f);
                Elementwise.clamp(t, 1, yr, 1, n, cap);
                Assert.sameBits(yr, y, "scaleShiftClamp n=" + n + " cap=" + cap);

                Arrays.fill(y, 7f);
                Elementwise.mulAddClamp(x, 1, a, 2, b, 3, y, 1, n, cap);
                Elementwise.mulAdd(x, 1, a, 2, b, 3, t, 1, n);
                Elementwise.clamp(t, 1, yr, 1, n, cap);
                Assert.sameBits(yr, y, "mulAddClamp n=" + n + " cap=" + cap);
            }
            cases++;
        }
        assertEquals(LENGTHS.length, cases);
    }


    @Test
    void sgdVectorMatchesScalar() {
        Rnd r = new Rnd(8);
        int cases = 0;
        for (int n : LENGTHS) {
            for (boolean nesterov : new boolean[] {false, true}) {
                for (boolean first : new boolean[] {true, false}) {
                    for (float mu : new float[] {0f, 0.9f}) {
                        if (nesterov && mu == 0f) continue;
                        float[] p = r.uniform(n + 2), g = r.uniform(n + 1), m = r.uniform(n + 3);
                        float[] ps = p.clone(), ms = m.clone(), pv = p.clone(), mv = m.clone();
                        Elementwise.sgdScalar(ps, 2, g, 1, ms, 3, n, 0.05f, mu, 1e-4f, nesterov, first, 0);
                        Elementwise.sgdVector(pv, 2, g, 1, mv, 3, n, 0.05f, mu, 1e-4f, nesterov, first);
                        Assert.close("sgd p n=" + n, ps, pv, FMA_ATOL, FMA_RTOL);
                        Assert.close("sgd momentum n=" + n, ms, mv, FMA_ATOL, FMA_RTOL);
                        cases++;
                    }
                }
            }
        }
        assertEquals(6 * LENGTHS.length, cases);
    }
}
