package org.lance4j.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.lance4j.testutil.Assert;
import org.lance4j.testutil.Rnd;

/**
 * im2col / col2im fast paths against their scalar references, depthwise vector kernels against
 * scalar ones, and convolution-by-im2col against a direct 7-loop convolution in double.
 */
class ConvKernelsTest {
    /** Copies are exact; col2im and depthwise reassociate a handful of float sums. */
    static final double COPY_TOL = 0;
    static final double SUM_ATOL = 1e-5;
    static final double SUM_RTOL = 1e-5;

    /** Phase planes hold x(r·s + a − p, c·s + b − p) where that is inside the image, else 0 — every value written. */
    @Test
    void phasePlanesMatchTheirDefinition() {
        Rnd r = new Rnd(5);
        int cases = 0;
        for (int h : new int[] {1, 2, 5, 8, 16}) {
            for (int w : new int[] {1, 3, 8, 17}) {
                for (int s : new int[] {1, 2}) {
                    for (int p = 0; p <= 2; p++) {
                        int hph = (h + 2 * p + s - 1) / s, wph = (w + 2 * p + s - 1) / s, plane = (hph + 1) * wph;
                        float[] x = r.uniform(3 + h * w), ws = new float[2 + s * s * plane];
                        java.util.Arrays.fill(ws, Float.NaN);
                        Depthwise.toPhases(x, 3, h, w, s, p, hph, wph, ws, 2);
                        for (int a = 0; a < s; a++) {
                            for (int b = 0; b < s; b++) {
                                for (int row = 0; row <= hph; row++) {
                                    for (int col = 0; col < wph; col++) {
                                        int iy = row * s + a - p, ix = col * s + b - p;
                                        float want = row < hph && iy >= 0 && iy < h && ix >= 0 && ix < w ? x[3 + iy * w + ix] : 0f;
                                        assertEquals(want, ws[2 + (a * s + b) * plane + row * wph + col],
                                                "h=" + h + " w=" + w + " s=" + s + " p=" + p + " phase " + a + "," + b + " at " + row + "," + col);
                                    }
                                }
                            }
                        }
                        cases++;
                    }
                }
            }
        }
        assertEquals(120, cases);
    }

    @Test
    void im2colAndCol2imFastMatchScalar() {
        Rnd r = new Rnd(3);
        int cases = 0;
        for (int c : new int[] {1, 3}) {
            for (int h : new int[] {1, 2, 5, 8, 11}) {
                for (int w : new int[] {1, 3, 7, 9, 16, 19}) {
                    for (int k : new int[] {1, 2, 3, 5}) {
                        for (int s : new int[] {1, 2, 3}) {
                            for (int p = 0; p <= k / 2; p++) {
                                if (Im2col.outSize(h, k, s, p) < 1 || Im2col.outSize(w, k, s, p) < 1) continue;
                                int rows = c * k * k, ohw = Im2col.outSize(h, k, s, p) * Im2col.outSize(w, k, s, p);
                                float[] x = r.uniform(2 + c * h * w);
                                float[] cs = r.uniform(1 + rows * ohw), cf = cs.clone();
                                Im2col.im2colScalar(x, 2, c, h, w, k, s, p, cs, 1);
                                Im2col.im2colFast(x, 2, c, h, w, k, s, p, cf, 1);
                                String what = "c=" + c + " h=" + h + " w=" + w + " k=" + k + " s=" + s + " p=" + p;
                                Assert.close("im2col " + what, cs, cf, COPY_TOL, 0);
                                float[] col = r.uniform(rows * ohw);
                                float[] ds = r.uniform(2 + c * h * w), df = ds.clone();
                                Im2col.col2imScalar(col, 0, c, h, w, k, s, p, ds, 2);
                                Im2col.col2imFast(col, 0, c, h, w, k, s, p, df, 2);
                                // the same additions in the same order per element (an axpy by 1 rounds as +): exact
                                Assert.close("col2im " + what, ds, df, 0, 0);
                                cases++;
                            }
                        }
                    }
                }
            }
        }
        assertEquals(1218, cases, "number of im2col/col2im shapes checked");
    }

    @Test
    void depthwisePhasedMatchesScalar() {
        Rnd r = new Rnd(4);
        int cases = 0;
        for (int h : new int[] {1, 3, 4, 7, 12}) {
            for (int w : new int[] {1, 2, 5, 8, 9, 17, 33}) {
                for (int k : new int[] {1, 3, 5}) {
                    for (int s : new int[] {1, 2, 3}) {
                        for (int p = 0; p <= k / 2; p++) {
                            if (h + 2 * p < k || w + 2 * p < k) continue;
                            int oh = Im2col.outSize(h, k, s, p), ow = Im2col.outSize(w, k, s, p);
                            float[] x = r.uniform(1 + h * w), wt = r.uniform(k * k), dy = r.uniform(oh * ow);
                            // garbage in the workspace must not leak into results
                            float[] ws = r.uniform(3 + Depthwise.workspaceFloats(h, w, k, s, p));
                            float[] ys = new float[oh * ow + 3], yv = r.uniform(oh * ow + 3);
                            System.arraycopy(ys, oh * ow, yv, oh * ow, 3); // the tail stays untouched in both
                            Depthwise.forwardScalar(x, 1, h, w, wt, 0, k, s, p, ys, 0);
                            Depthwise.forwardPhased(x, 1, h, w, wt, 0, k, s, p, yv, 0, ws, 3);
                            String what = "h=" + h + " w=" + w + " k=" + k + " s=" + s + " p=" + p;
                            Assert.close("dw forward " + what, ys, yv, SUM_ATOL, SUM_RTOL);
                            float[] dws = r.uniform(k * k), dwv = dws.clone();
                            Depthwise.backwardWeightScalar(x, 1, h, w, dy, 0, k, s, p, dws, 0);
                            Depthwise.backwardWeightPhased(x, 1, h, w, dy, 0, k, s, p, dwv, 0, ws, 3);
                            Assert.close("dw dW " + what, dws, dwv, SUM_ATOL, SUM_RTOL);
                            float[] dxs = r.uniform(h * w + 2), dxv = dxs.clone();
                            Depthwise.backwardInputScalar(dy, 0, h, w, wt, 0, k, s, p, dxs, 1);
                            Depthwise.backwardInputPhased(dy, 0, h, w, wt, 0, k, s, p, dxv, 1, ws, 3);
                            Assert.close("dw dX " + what, dxs, dxv, SUM_ATOL, SUM_RTOL);
                            cases++;
                        }
                    }
                }
            }
        }
        assertEquals(465, cases, "number of depthwise shapes checked");
    }

    /** im2col through phase planes (stride ≥ 2, rows of 16 or more, or K² ≥ 4S²) gives the gather's values exactly. */
    @Test
    void im2colThroughPhasePlanesMatchesScalar() {
        Rnd r = new Rnd(16);
        // (c, h, w, k, s, p): 3 × 3 at stride 2 onto rows of 18 and 16, the 7 × 7 stem at stride 2, 5 × 5 at stride 2 and 3
        int[][] geoms = {{2, 33, 35, 3, 2, 1}, {3, 32, 32, 3, 2, 1}, {3, 30, 28, 7, 2, 3}, {2, 13, 11, 5, 2, 2}, {1, 17, 50, 5, 3, 1}};
        for (int[] g : geoms) {
            int c = g[0], h = g[1], w = g[2], k = g[3], s = g[4], p = g[5], oh = Im2col.outSize(h, k, s, p), ow = Im2col.outSize(w, k, s, p);
            assertTrue(Im2col.phased(h, w, k, s, p, oh, ow), java.util.Arrays.toString(g) + " takes the phase planes");
            float[] x = r.uniform(1 + c * h * w), cs = r.uniform(c * k * k * oh * ow + 2), cf = r.uniform(cs.length);
            System.arraycopy(cs, cs.length - 2, cf, cf.length - 2, 2);   // past the columns: untouched by both
            Im2col.im2colScalar(x, 1, c, h, w, k, s, p, cs, 0);
            Im2col.im2colFast(x, 1, c, h, w, k, s, p, cf, 0);
            Assert.sameBits(cs, cf, "im2col " + java.util.Arrays.toString(g));
        }
    }

    /**
     * The sampled 3 × 3 kernels (every stride-1 position, every S-th kept) against the scalar references: odd planes,
     * padding 0 to 2, strides 1 and 2 (dX into dx directly when W is a multiple of two vectors, else through the wide
     * row); workspace garbage must not leak in, and dX and dW accumulate onto what is there.
     */
    @Test
    void depthwiseSampledMatchesScalar() {
        Rnd r = new Rnd(14);
        int cases = 0;
        for (int h : new int[] {1, 4, 7, 16, 19}) {
            for (int w : new int[] {1, 2, 5, 8, 9, 16, 17, 32, 35}) {
                for (int k : new int[] {3}) {
                    for (int s : new int[] {1, 2}) {
                        for (int p = 0; p < k; p++) {
                            if (h + 2 * p < k || w + 2 * p < k) continue;
                            int oh = Im2col.outSize(h, k, s, p), ow = Im2col.outSize(w, k, s, p);
                            float[] x = r.uniform(1 + h * w), wt = r.uniform(k * k + 2), dy = r.uniform(oh * ow + 1);
                            float[] ws = r.uniform(3 + Depthwise.sampledFloats(h, w, s, p));
                            float[] ys = new float[oh * ow + 3], yv = r.uniform(oh * ow + 3);
                            System.arraycopy(ys, oh * ow, yv, oh * ow, 3);
                            Depthwise.forwardScalar(x, 1, h, w, wt, 2, k, s, p, ys, 0);
                            Depthwise.forwardSampled(x, 1, h, w, wt, 2, s, p, yv, 0, ws, 3, false);
                            String what = "h=" + h + " w=" + w + " k=" + k + " s=" + s + " p=" + p;
                            Assert.close("sampled forward " + what, ys, yv, SUM_ATOL, SUM_RTOL);
                            float[] dws = r.uniform(k * k + 1), dwv = dws.clone();
                            Depthwise.backwardWeightScalar(x, 1, h, w, dy, 1, k, s, p, dws, 1);
                            Depthwise.backwardWeightSampled(x, 1, h, w, dy, 1, s, p, dwv, 1, ws, 3, false);
                            Assert.close("sampled dW " + what, dws, dwv, SUM_ATOL, SUM_RTOL);
                            float[] dxs = r.uniform(h * w + 2), dxv = dxs.clone();
                            Depthwise.backwardInputScalar(dy, 1, h, w, wt, 2, k, s, p, dxs, 1);
                            Depthwise.backwardInputSampled(dy, 1, h, w, wt, 2, s, p, dxv, 1, ws, 3, false, false);
                            Assert.close("sampled dX " + what, dxs, dxv, SUM_ATOL, SUM_RTOL);
                            cases++;
                        }
                    }
                }
            }
        }
        assertEquals(236, cases, "number of sampled depthwise shapes checked");
    }

    /**
     * {@link Depthwise#backward} (and {@link Depthwise#forward}) over planes one after another in one workspace — the first cold, the rest warm (borders and
     * spread zeros left from the plane before) — gives the bits of {@code backwardWeight} and {@code backwardInput} on each
     * plane alone in a fresh, garbage-filled workspace: both gradients, only dW, only dX; sampled and other geometries.
     */
    @Test
    void depthwiseBackwardOfPlanesInARowGivesTheBitsOfSingleCalls() {
        Rnd r = new Rnd(15);
        int l = Vec.LANES, cases = 0;
        // (h, w, k, s, p): sampled at stride 2 (odd and even planes), sampled at stride 1 (rows of two vectors), phase planes
        int[][] geoms = {{16, 16, 3, 2, 1}, {9, 11, 3, 2, 1}, {32, 32, 3, 2, 1}, {4, 2 * l, 3, 1, 1}, {12, 12, 3, 1, 1}, {10, 10, 5, 1, 2}, {3, 3, 3, 1, 1}};
        for (int[] g : geoms) {
            int h = g[0], w = g[1], k = g[2], s = g[3], p = g[4], oh = Im2col.outSize(h, k, s, p), ow = Im2col.outSize(w, k, s, p), planes = 4;
            for (int mode = 0; mode < 3; mode++) {   // 0: both, 1: dW only, 2: dX only
                float[] x = r.uniform(planes * h * w + 1), dy = r.uniform(planes * oh * ow + 1), wt = r.uniform(k * k);
                float[] dw0 = r.uniform(planes * k * k), dx0 = r.uniform(planes * h * w);
                float[] dwA = dw0.clone(), dxA = dx0.clone(), dwB = dw0.clone(), dxB = dx0.clone();
                int wsn = 2 + Depthwise.workspaceFloats(h, w, k, s, p);
                float[] ws = r.uniform(wsn);
                for (int q = 0; q < planes; q++) {
                    Depthwise.backward(x, 1 + q * h * w, dy, 1 + q * oh * ow, h, w, wt, 0, k, s, p, mode == 2 ? null : dwA, q * k * k,
                            mode == 1 ? null : dxA, q * h * w, ws, 2, q > 0);
                    float[] fresh = r.uniform(wsn);
                    if (mode != 2) Depthwise.backwardWeight(x, 1 + q * h * w, h, w, dy, 1 + q * oh * ow, k, s, p, dwB, q * k * k, fresh, 2);
                    fresh = r.uniform(wsn);
                    if (mode != 1) Depthwise.backwardInput(dy, 1 + q * oh * ow, h, w, wt, 0, k, s, p, dxB, q * h * w, fresh, 2);
                }
                String what = java.util.Arrays.toString(g) + " mode " + mode;
                if (mode == 0) {   // and the forward over the same planes, warm after the first
                    float[] yA = r.uniform(planes * oh * ow), yB = yA.clone(), wsF = r.uniform(wsn);
                    for (int q = 0; q < planes; q++) {
                        Depthwise.forward(x, 1 + q * h * w, h, w, wt, 0, k, s, p, yA, q * oh * ow, wsF, 2, q > 0);
                        Depthwise.forward(x, 1 + q * h * w, h, w, wt, 0, k, s, p, yB, q * oh * ow, r.uniform(wsn), 2);
                    }
                    Assert.sameBits(yB, yA, "forward " + what);
                }
                Assert.sameBits(dwB, dwA, "dW " + what);
                Assert.sameBits(dxB, dxA, "dX " + what);
                cases++;
            }
        }
        assertEquals(7 * 3, cases);
    }

    /** The fused 3 × 3 passes give the bits of the nine axpys and nine dot products they replace (any length, both strides). */
    @Test
    void fusedThreeByThreeGivesTheBitsOfNineAxpysAndDots() {
        Rnd r = new Rnd(12);
        int cases = 0;
        for (int s = 1; s <= 2; s++) {
            for (int wph : new int[] {3, 5, 9, 18}) {
                for (int rows : new int[] {1, 2, 7}) {
                    int plane = (rows + 3) * wph, n = rows * wph, wide = s * s * plane + 1;
                    float[] ws = r.uniform(wide + n + 5 + Depthwise.SUM_FLOATS), wt = r.uniform(10);
                    float[] fused = ws.clone(), ref = ws.clone();
                    Depthwise.taps3(wt, 1, s, 0, plane, wph, fused, wide, n);
                    java.util.Arrays.fill(ref, wide, wide + n, 0f);
                    for (int t = 0; t < 9; t++) {
                        int i = t / 3, j = t % 3, src = ((i % s) * s + j % s) * plane + (i / s) * wph + j / s;
                        Elementwise.axpy(wt[1 + t], ref, src, ref, wide, n);
                    }
                    String what = "s=" + s + " wph=" + wph + " rows=" + rows;
                    assertArrayEquals(ref, fused, "taps3 " + what);
                    float[] dw = r.uniform(11), dwRef = dw.clone();
                    Depthwise.dots3(ws, wide, s, 0, plane, wph, n, dw, 2, wide + n + 5);
                    for (int t = 0; t < 9; t++) {
                        int i = t / 3, j = t % 3, src = ((i % s) * s + j % s) * plane + (i / s) * wph + j / s;
                        dwRef[2 + t] += Gemm.dot(ws, wide, ws, src, n);
                    }
                    assertArrayEquals(dwRef, dw, "dots3 " + what);
                    cases++;
                }
            }
        }
        assertEquals(24, cases);
    }

    /** Channels-last depthwise (a block of c channels, vectors across channels) against the per-plane scalar references. */
    @Test
    void depthwiseChannelsLastMatchesScalar() {
        Rnd r = new Rnd(5);
        int cases = 0;
        for (int c : new int[] {1, 3, 8, 13, 33, 45}) {   // 45: four-block steps, a single block and a scalar tail at 256 bits
            for (int h : new int[] {1, 2, 4, 7}) {
                for (int w : new int[] {1, 3, 8, 9}) {
                    for (int k : new int[] {1, 3, 5}) {
                        for (int s : new int[] {1, 2}) {
                            for (int p = 0; p <= k / 2; p++) {
                                if (h + 2 * p < k || w + 2 * p < k) continue;
                                int oh = Im2col.outSize(h, k, s, p), ow = Im2col.outSize(w, k, s, p), hw = h * w, kk = k * k;
                                float[] x = r.uniform(2 + c * hw), wt = r.uniform(1 + c * kk), dy = r.uniform(c * oh * ow);
                                float[] ws = r.uniform(4 + (int) Depthwise.channelsLastFloats(c, h, w, k, s, p));   // garbage must not leak
                                float[] ys = new float[c * oh * ow + 2], yv = r.uniform(c * oh * ow + 2);
                                System.arraycopy(ys, c * oh * ow, yv, c * oh * ow, 2);   // the tail stays untouched in both
                                float[] dws = r.uniform(c * kk), dwv = dws.clone();
                                float[] dxs = r.uniform(c * hw + 1), dxv = dxs.clone();
                                for (int ch = 0; ch < c; ch++) {
                                    Depthwise.forwardScalar(x, 2 + ch * hw, h, w, wt, 1 + ch * kk, k, s, p, ys, ch * oh * ow);
                                    Depthwise.backwardWeightScalar(x, 2 + ch * hw, h, w, dy, ch * oh * ow, k, s, p, dws, ch * kk);
                                    Depthwise.backwardInputScalar(dy, ch * oh * ow, h, w, wt, 1 + ch * kk, k, s, p, dxs, 1 + ch * hw);
                                }
                                Depthwise.forwardChannelsLast(x, 2, c, h, w, wt, 1, k, s, p, yv, 0, ws, 4);
                                String what = "c=" + c + " h=" + h + " w=" + w + " k=" + k + " s=" + s + " p=" + p;
                                Assert.close("dw forward " + what, ys, yv, SUM_ATOL, SUM_RTOL);
                                // dW alone, dX alone, then both in one call
                                Depthwise.backwardChannelsLast(x, 2, dy, 0, c, h, w, wt, 1, k, s, p, dwv, 0, null, 0, ws, 4);
                                Assert.close("dw dW " + what, dws, dwv, SUM_ATOL, SUM_RTOL);
                                Depthwise.backwardChannelsLast(x, 2, dy, 0, c, h, w, wt, 1, k, s, p, null, 0, dxv, 1, ws, 4);
                                Assert.close("dw dX " + what, dxs, dxv, SUM_ATOL, SUM_RTOL);
                                float[] dw2 = dwv.clone(), dx2 = dxv.clone();
                                Depthwise.backwardChannelsLast(x, 2, dy, 0, c, h, w, wt, 1, k, s, p, dw2, 0, dx2, 1, ws, 4);
                                for (int ch = 0; ch < c; ch++) {
                                    Depthwise.backwardWeightScalar(x, 2 + ch * hw, h, w, dy, ch * oh * ow, k, s, p, dws, ch * kk);
                                    Depthwise.backwardInputScalar(dy, ch * oh * ow, h, w, wt, 1 + ch * kk, k, s, p, dxs, 1 + ch * hw);
                                }
                                Assert.close("dw dW (both) " + what, dws, dw2, 2 * SUM_ATOL, SUM_RTOL);
                                Assert.close("dw dX (both) " + what, dxs, dx2, 2 * SUM_ATOL, SUM_RTOL);
                                cases++;
                            }
                        }
                    }
                }
            }
        }
        assertEquals(744, cases, "number of channels-last depthwise shapes checked");
    }

    /** im2col + GEMM and the depthwise kernel against the definition of convolution, in double. */
    @Test
    void convolutionMatchesDefinition() {
        Rnd r = new Rnd(5);
        int cases = 0;
        for (int[] cfg : new int[][] {{3, 4, 7, 6, 3, 1, 1}, {2, 5, 9, 5, 3, 2, 1}, {4, 3, 5, 5, 1, 1, 0},
                {3, 2, 8, 7, 5, 2, 2}, {1, 1, 3, 3, 3, 3, 0}}) {
            int c = cfg[0], o = cfg[1], h = cfg[2], w = cfg[3], k = cfg[4], s = cfg[5], p = cfg[6];
            int oh = Im2col.outSize(h, k, s, p), ow = Im2col.outSize(w, k, s, p);
            float[] x = r.uniform(c * h * w), wt = r.uniform(o * c * k * k);
            float[] col = new float[c * k * k * oh * ow], y = new float[o * oh * ow];
            Im2col.im2col(x, 0, c, h, w, k, s, p, col, 0);
            Gemm.nn(o, oh * ow, c * k * k, wt, 0, c * k * k, col, 0, oh * ow, y, 0, oh * ow, false);
            float[] ref = new float[o * oh * ow];
            for (int oc = 0; oc < o; oc++) {
                for (int oy = 0; oy < oh; oy++) {
                    for (int ox = 0; ox < ow; ox++) {
                        double acc = 0;
                        for (int ic = 0; ic < c; ic++) {
                            for (int i = 0; i < k; i++) {
                                for (int j = 0; j < k; j++) {
                                    int iy = oy * s + i - p, ix = ox * s + j - p;
                                    if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
                                        acc += (double) wt[((oc * c + ic) * k + i) * k + j] * x[(ic * h + iy) * w + ix];
                                    }
                                }
                            }
                        }
                        ref[(oc * oh + oy) * ow + ox] = (float) acc;
                    }
                }
            }
            Assert.close("conv by im2col, config " + cases, ref, y, SUM_ATOL, SUM_RTOL);
            // the same plane through the depthwise kernel (one channel, one filter)
            float[] yd = new float[oh * ow], refd = new float[oh * ow];
            Depthwise.forward(x, 0, h, w, wt, 0, k, s, p, yd, 0, new float[Depthwise.workspaceFloats(h, w, k, s, p)], 0);
            Depthwise.forwardScalar(x, 0, h, w, wt, 0, k, s, p, refd, 0);
            Assert.close("depthwise dispatch, config " + cases, refd, yd, SUM_ATOL, SUM_RTOL);
            cases++;
        }
        assertEquals(5, cases);
    }
}
