package org.lance4j.testutil;

/**
 * A 3 × 3 convolution at stride 1 with padding 1 computed directly in double, the reference of the Winograd tests:
 * x (n, c, h, w), w (o, c, 3, 3), y and dY (n, o, h, w), row-major.
 */
public final class Conv3x3Reference {
    private Conv3x3Reference() { }

    /** y(n, o) = Σ_c Σ_kh Σ_kw x(n, c, oy + kh − 1, ox + kw − 1) w(o, c, kh, kw). */
    public static double[] forward(float[] x, int n, int c, int h, int w, float[] wt, int o) {
        double[] y = new double[n * o * h * w];
        for (int b = 0; b < n; b++) {
            for (int oc = 0; oc < o; oc++) {
                for (int oy = 0; oy < h; oy++) {
                    for (int ox = 0; ox < w; ox++) {
                        double s = 0;
                        for (int ic = 0; ic < c; ic++) {
                            for (int kh = 0; kh < 3; kh++) {
                                for (int kw = 0; kw < 3; kw++) {
                                    int iy = oy + kh - 1, ix = ox + kw - 1;
                                    if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                                    s += (double) x[((b * c + ic) * h + iy) * w + ix] * wt[((oc * c + ic) * 3 + kh) * 3 + kw];
                                }
                            }
                        }
                        y[((b * o + oc) * h + oy) * w + ox] = s;
                    }
                }
            }
        }
        return y;
    }

    /** The input gradient dx(n, c, iy, ix) = Σ_o Σ dy(n, o, iy + 1 − kh, ix + 1 − kw) w(o, c, kh, kw). */
    public static double[] inputGrad(float[] dy, int n, int o, int h, int w, float[] wt, int c) {
        double[] dx = new double[n * c * h * w];
        for (int b = 0; b < n; b++) {
            for (int oc = 0; oc < o; oc++) {
                for (int oy = 0; oy < h; oy++) {
                    for (int ox = 0; ox < w; ox++) {
                        double g = dy[((b * o + oc) * h + oy) * w + ox];
                        for (int ic = 0; ic < c; ic++) {
                            for (int kh = 0; kh < 3; kh++) {
                                for (int kw = 0; kw < 3; kw++) {
                                    int iy = oy + kh - 1, ix = ox + kw - 1;
                                    if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                                    dx[((b * c + ic) * h + iy) * w + ix] += g * wt[((oc * c + ic) * 3 + kh) * 3 + kw];
                                }
                            }
                        }
                    }
                }
            }
        }
        return dx;
    }

    /** The weight gradient dW(o, c, kh, kw) = Σ_n Σ dy(n, o, oy, ox) x(n, c, oy + kh − 1, ox + kw − 1). */
    public static double[] weightGrad(float[] x, float[] dy, int n, int c, int h, int w, int o) {
        double[] dw = new double[o * c * 9];
        for (int b = 0; b < n; b++) {
            for (int oc = 0; oc < o; oc++) {
                for (int ic = 0; ic < c; ic++) {
                    for (int kh = 0; kh < 3; kh++) {
                        for (int kw = 0; kw < 3; kw++) {
                            double sum = 0;
                            for (int oy = 0; oy < h; oy++) {
                                for (int ox = 0; ox < w; ox++) {
                                    int iy = oy + kh - 1, ix = ox + kw - 1;
                                    if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                                    sum += (double) dy[((b * o + oc) * h + oy) * w + ox] * x[((b * c + ic) * h + iy) * w + ix];
                                }
                            }
                            dw[((oc * c + ic) * 3 + kh) * 3 + kw] += sum;
                        }
                    }
                }
            }
        }
        return dw;
    }

    /** The values rounded to float. */
    public static float[] toFloat(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
        return f;
    }
}
