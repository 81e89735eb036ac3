package org.lance4j.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Direct depthwise convolution on one channel plane (no im2col). Legend: H, W = input size,
 * K = kernel, S = stride, P = padding, OH, OW = output size. x (H, W), w (K, K), y (OH, OW).
 * The vector path runs along output rows for stride 1, where each tap reads a contiguous input run;
 * strided planes (stride 2 in MobileNetV2's downsampling blocks) are gathers and use the scalar code.
 */
public final class Depthwise {
    private static final VectorSpecies<Float> S = Vec.F;

    private Depthwise() { }

    /** y(OH, OW) = x(H, W) ⋆ w(K, K), overwriting y. */
    public static void forward(float[] x, int xOff, int h, int w, float[] wt, int wOff, int k, int s, int p,
                               float[] y, int yOff) {
        if (Vec.ENABLED && s == 1) forwardVector(x, xOff, h, w, wt, wOff, k, p, y, yOff);
        else forwardScalar(x, xOff, h, w, wt, wOff, k, s, p, y, yOff);
    }

    /** dw(K, K) += Σ dy(OH, OW) · x shifted by each tap. */
    public static void backwardWeight(float[] x, int xOff, int h, int w, float[] dy, int dyOff, int k, int s, int p,
                                      float[] dw, int dwOff) {
        if (Vec.ENABLED && s == 1) backwardWeightVector(x, xOff, h, w, dy, dyOff, k, p, dw, dwOff);
        else backwardWeightScalar(x, xOff, h, w, dy, dyOff, k, s, p, dw, dwOff);
    }

    /** dx(H, W) += transposed convolution of dy(OH, OW) with w(K, K). */
    public static void backwardInput(float[] dy, int dyOff, int h, int w, float[] wt, int wOff, int k, int s, int p,
                                     float[] dx, int dxOff) {
        if (Vec.ENABLED && s == 1) backwardInputVector(dy, dyOff, h, w, wt, wOff, k, p, dx, dxOff);
        else backwardInputScalar(dy, dyOff, h, w, wt, wOff, k, s, p, dx, dxOff);
    }

    public static void forwardScalar(float[] x, int xOff, int h, int w, float[] wt, int wOff, int k, int s, int p,
                                     float[] y, int yOff) {
        int oh = Im2col.outSize(h, k, s, p), ow = Im2col.outSize(w, k, s, p);
        for (int oy = 0; oy < oh; oy++) {
            for (int ox = 0; ox < ow; ox++) {
                float acc = 0f;
                for (int i = 0; i < k; i++) {
                    int iy = oy * s + i - p;
                    if (iy < 0 || iy >= h) continue;
                    for (int j = 0; j < k; j++) {
                        int ix = ox * s + j - p;
                        if (ix < 0 || ix >= w) continue;
                        acc += wt[wOff + i * k + j] * x[xOff + iy * w + ix];
                    }
                }
                y[yOff + oy * ow + ox] = acc;
            }
        }
    }

    public static void backwardWeightScalar(float[] x, int xOff, int h, int w, float[] dy, int dyOff, int k, int s,
                                            int p, float[] dw, int dwOff) {
        int oh = Im2col.outSize(h, k, s, p), ow = Im2col.outSize(w, k, s, p);
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < k; j++) {
                float acc = 0f;
                for (int oy = 0; oy < oh; oy++) {
                    int iy = oy * s + i - p;
                    if (iy < 0 || iy >= h) continue;
                    for (int ox = 0; ox < ow; ox++) {
                        int ix = ox * s + j - p;
                        if (ix < 0 || ix >= w) continue;
                        acc += dy[dyOff + oy * ow + ox] * x[xOff + iy * w + ix];
                    }
                }
                dw[dwOff + i * k + j] += acc;
            }
        }
    }

    public static void backwardInputScalar(float[] dy, int dyOff, int h, int w, float[] wt, int wOff, int k, int s,
                                           int p, float[] dx, int dxOff) {
        int oh = Im2col.outSize(h, k, s, p), ow = Im2col.outSize(w, k, s, p);
        for (int oy = 0; oy < oh; oy++) {
            for (int ox = 0; ox < ow; ox++) {
                float g = dy[dyOff + oy * ow + ox];
                for (int i = 0; i < k; i++) {
                    int iy = oy * s + i - p;
                    if (iy < 0 || iy >= h) continue;
                    for (int j = 0; j < k; j++) {
                        int ix = ox * s + j - p;
                        if (ix < 0 || ix >= w) continue;
                        dx[dxOff + iy * w + ix] += wt[wOff + i * k + j] * g;
                    }
                }
            }
        }
    }

    static void forwardVector(float[] x, int xOff, int h, int w, float[] wt, int wOff, int k, int p,
                              float[] y, int yOff) {
        int oh = h + 2 * p - k + 1, ow = w + 2 * p - k + 1;
        java.util.Arrays.fill(y, yOff, yOff + oh * ow, 0f);
        for (int oy = 0; oy < oh; oy++) {
            int yr = yOff + oy * ow;
            for (int i = 0; i < k; i++) {
                int iy = oy + i - p;
                if (iy < 0 || iy >= h) continue;
                int xr = xOff + iy * w - p;
                for (int j = 0; j < k; j++) {
                    int x0 = Math.max(0, p - j), x1 = Math.min(ow, w + p - j);
                    if (x1 <= x0) continue;
                    Elementwise.axpy(wt[wOff + i * k + j], x, xr + x0 + j, y, yr + x0, x1 - x0);
                }
            }
        }
    }

    static void backwardWeightVector(float[] x, int xOff, int h, int w, float[] dy, int dyOff, int k, int p,
                                     float[] dw, int dwOff) {
        int oh = h + 2 * p - k + 1, ow = w + 2 * p - k + 1;
        final int l = S.length();
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < k; j++) {
                int x0 = Math.max(0, p - j), x1 = Math.min(ow, w + p - j);
                if (x1 <= x0) continue;
                int n = x1 - x0, nv = n - n % l;
                float acc = 0f;
                for (int oy = Math.max(0, p - i), oyEnd = Math.min(oh, h + p - i); oy < oyEnd; oy++) {
                    int ds = dyOff + oy * ow + x0, xs = xOff + (oy + i - p) * w - p + x0 + j;
                    int q = 0;
                    if (nv > 0) {
                        // The accumulator stays inside this loop nest: carried across rows, C2 could not
                        // scalar-replace its box at 128 bits and the step allocated (see NoAllocationTest).
                        FloatVector accv = FloatVector.zero(S);
                        for (; q < nv; q += l) {
                            accv = FloatVector.fromArray(S, dy, ds + q).fma(FloatVector.fromArray(S, x, xs + q), accv);
                        }
                        acc += Vec.sumLanes(accv);
                    }
                    for (; q < n; q++) acc += dy[ds + q] * x[xs + q];
                }
                dw[dwOff + i * k + j] += acc;
            }
        }
    }

    static void backwardInputVector(float[] dy, int dyOff, int h, int w, float[] wt, int wOff, int k, int p,
                                    float[] dx, int dxOff) {
        int oh = h + 2 * p - k + 1, ow = w + 2 * p - k + 1;
        for (int oy = 0; oy < oh; oy++) {
            int dr = dyOff + oy * ow;
            for (int i = 0; i < k; i++) {
                int iy = oy + i - p;
                if (iy < 0 || iy >= h) continue;
                int xr = dxOff + iy * w - p;
                for (int j = 0; j < k; j++) {
                    int x0 = Math.max(0, p - j), x1 = Math.min(ow, w + p - j);
                    if (x1 <= x0) continue;
                    Elementwise.axpy(wt[wOff + i * k + j], dy, dr + x0, dx, xr + x0 + j, x1 - x0);
                }
            }
        }
    }
}
