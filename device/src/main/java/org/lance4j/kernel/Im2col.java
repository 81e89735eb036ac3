package org.lance4j.kernel;

/**
 * im2col / col2im for one image. Legend: C = channels, H, W = input size, K = kernel, S = stride,
 * P = padding, OH, OW = output size. {@code col} is (C·K·K, OH·OW) with rows in (c, kh, kw) order, so
 * that a weight (O, C, K, K) read as (O, C·K·K) multiplies it directly.
 *
 * <p>The fast path copies each contiguous run of a stride-1 row with {@link System#arraycopy} (a
 * memmove intrinsic that already uses the widest vectors; a Vector API loop would only match it) and
 * accumulates col2im runs with the vector axpy kernel. At stride 2 or more, im2col splits each channel once into phase
 * planes and copies runs of them ({@link #im2colPhased}; each thread keeps one channel's phase planes, (H + 2P + S)·(W + 2P)
 * floats or so, grown on first use); col2im's strided rows stay scalar.
 */
public final class Im2col {
    private Im2col() { }

    public static int outSize(int in, int k, int s, int p) {
        return (in + 2 * p - k) / s + 1;
    }

    /** col(C·K·K, OH·OW) = unfold(x(C, H, W)). */
    public static void im2col(float[] x, int xOff, int c, int h, int w, int k, int s, int p,
                              float[] col, int colOff) {
        if (Vec.ENABLED) im2colFast(x, xOff, c, h, w, k, s, p, col, colOff);
        else im2colScalar(x, xOff, c, h, w, k, s, p, col, colOff);
    }

    /**
     * dx(C, H, W) += fold(col(C·K·K, OH·OW)). The vector path may overwrite col's entries at padded positions (those
     * that fold onto no input value) with zeros: col is the caller's scratch, consumed here.
     */
    public static void col2im(float[] col, int colOff, int c, int h, int w, int k, int s, int p,
                              float[] dx, int dxOff) {
        if (Vec.ENABLED) col2imFast(col, colOff, c, h, w, k, s, p, dx, dxOff);
        else col2imScalar(col, colOff, c, h, w, k, s, p, dx, dxOff);
    }

    public static void im2colScalar(float[] x, int xOff, int c, int h, int w, int k, int s, int p,
                                    float[] col, int colOff) {
        int oh = outSize(h, k, s, p), ow = outSize(w, k, s, p);
        int r = 0;
        for (int ch = 0; ch < c; ch++) {
            for (int i = 0; i < k; i++) {
                for (int j = 0; j < k; j++, r++) {
                    int base = colOff + r * oh * ow;
                    for (int oy = 0; oy < oh; oy++) {
                        for (int ox = 0; ox < ow; ox++) {
                            int iy = oy * s + i - p, ix = ox * s + j - p;
                            col[base + oy * ow + ox] = (iy >= 0 && iy < h && ix >= 0 && ix < w)
                                    ? x[xOff + (ch * h + iy) * w + ix] : 0f;
                        }
                    }
                }
            }
        }
    }

    public static void col2imScalar(float[] col, int colOff, int c, int h, int w, int k, int s, int p,
                                    float[] dx, int dxOff) {
        int oh = outSize(h, k, s, p), ow = outSize(w, k, s, p);
        int r = 0;
        for (int ch = 0; ch < c; ch++) {
            for (int i = 0; i < k; i++) {
                for (int j = 0; j < k; j++, r++) {
                    int base = colOff + r * oh * ow;
                    for (int oy = 0; oy < oh; oy++) {
                        for (int ox = 0; ox < ow; ox++) {
                            int iy = oy * s + i - p, ix = ox * s + j - p;
                            if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
                                dx[dxOff + (ch * h + iy) * w + ix] += col[base + oy * ow + ox];
                            }
                        }
                    }
                }
            }
        }
    }

    /** First output index whose input index o·s + t − p is ≥ 0. */
    static int firstValid(int t, int s, int p) {
        int d = p - t;
        return d <= 0 ? 0 : (d + s - 1) / s;
    }

    /** One past the last output index (capped at {@code out}) whose input index is < in. */
    static int endValid(int t, int s, int p, int in, int out) {
        int d = in - 1 + p - t;
        if (d < 0) return 0;
        return Math.min(out, d / s + 1);
    }

    static void im2colFast(float[] x, int xOff, int c, int h, int w, int k, int s, int p,
                           float[] col, int colOff) {
        int oh = outSize(h, k, s, p), ow = outSize(w, k, s, p);
        if (phased(h, w, k, s, p, oh, ow)) {
            im2colPhased(x, xOff, c, h, w, k, s, p, col, colOff, oh, ow);
            return;
        }
        int r = 0;
        for (int ch = 0; ch < c; ch++) {
            int plane = xOff + ch * h * w;
            for (int i = 0; i < k; i++) {
                int y0 = firstValid(i, s, p), y1 = endValid(i, s, p, h, oh);
                for (int j = 0; j < k; j++, r++) {
                    int base = colOff + r * oh * ow;
                    int x0 = firstValid(j, s, p), x1 = endValid(j, s, p, w, ow);
                    if (y1 <= y0 || x1 <= x0) {
                        java.util.Arrays.fill(col, base, base + oh * ow, 0f);
                        continue;
                    }
                    java.util.Arrays.fill(col, base, base + y0 * ow, 0f);
                    if (s == 1 && ow == w) {   // 'same' padding: the rows' copies meet end to end — one copy, then the pad columns zeroed
                        copyRowsAtOnce(x, plane + (y0 + i - p) * w + j - p, col, base + y0 * ow, y1 - y0, ow, x0, x1);
                        java.util.Arrays.fill(col, base + y1 * ow, base + oh * ow, 0f);
                        continue;
                    }
                    for (int oy = y0; oy < y1; oy++) {
                        int dst = base + oy * ow;
                        int src = plane + (oy * s + i - p) * w - p + j;
                        if (x0 > 0) java.util.Arrays.fill(col, dst, dst + x0, 0f);
                        if (s == 1) {
                            System.arraycopy(x, src + x0, col, dst + x0, x1 - x0);
                        } else {
                            for (int ox = x0; ox < x1; ox++) col[dst + ox] = x[src + ox * s];
                        }
                        if (x1 < ow) java.util.Arrays.fill(col, dst + x1, dst + ow, 0f);
                    }
                    java.util.Arrays.fill(col, base + y1 * ow, base + oh * ow, 0f);
                }
            }
        }
    }

    /**
     * Whether {@link #im2colPhased} serves a geometry: stride 2 or more, every tap inside the padded plane (a kernel larger
     * than it leaves taps outside), and each input value read at least four times by the gather (K² ≥ 4S²: 7 × 7 at
     * stride 2) or output rows of at least 16 values (a copy call per row costs more on shorter ones). Measured alone,
     * one image, phase planes / gather: 3 × 224 × 224, 7 × 7 at stride 2 0.29 of the time; 3 × 3 at stride 2 onto 16 × 16
     * 0.85–0.87 (64 and 144 channels), onto 8 × 8 0.93, onto 4 × 4 1.08.
     */
    static boolean phased(int h, int w, int k, int s, int p, int oh, int ow) {
        return s > 1 && (oh - 1) * s + k <= h + 2 * p && (ow - 1) * s + k <= w + 2 * p && (k * k >= 4 * s * s || ow >= 16);
    }

    /** Each thread's room for one channel's phase planes ({@link #im2colPhased}); grown on first use, then reused. */
    private static final ThreadLocal<float[][]> PHASES = ThreadLocal.withInitial(() -> new float[][] {new float[0]});

    /**
     * im2col at stride S ≥ 2 through phase planes: each channel's zero-padded plane is split once into its S² phase
     * planes (phase (a, b) holds the padded plane's rows a, a + S, … and columns b, b + S, …; {@link Depthwise#toPhases}),
     * and then every output row of every tap is one contiguous run of a phase plane — tap (i, j) reads phase
     * (i mod S, j mod S) from row oy + i div S, column j div S — copied with {@link System#arraycopy}. The gather per
     * row read each input value K²/S² times, one float at a time (2.25 times for a 3 × 3 kernel at stride 2, 12.25 for
     * the 7 × 7 stem). The same values as {@link #im2colScalar}, the padding's zeros included.
     */
    static void im2colPhased(float[] x, int xOff, int c, int h, int w, int k, int s, int p, float[] col, int colOff, int oh, int ow) {
        int hph = (h + 2 * p + s - 1) / s, wph = (w + 2 * p + s - 1) / s, plane = (hph + 1) * wph, need = s * s * plane;
        float[][] holder = PHASES.get();
        if (holder[0].length < need) holder[0] = new float[need];
        float[] ph = holder[0];
        int r = 0;
        for (int ch = 0; ch < c; ch++) {
            Depthwise.toPhases(x, xOff + ch * h * w, h, w, s, p, hph, wph, ph, 0, ch > 0);   // the padding zeroed once per call
            for (int i = 0; i < k; i++) {
                for (int j = 0; j < k; j++, r++) {
                    int src = ((i % s) * s + j % s) * plane + (i / s) * wph + j / s, dst = colOff + r * oh * ow;
                    for (int oy = 0; oy < oh; oy++, src += wph, dst += ow) System.arraycopy(ph, src, col, dst, ow);
                }
            }
        }
    }

    /**
     * dst rows [0, rows) of width ow, columns [x0, x1) ← src at the same offsets (src and dst rows the same width), and
     * columns outside [x0, x1) ← 0: one copy from the first row's x0 to the last row's x1 (every read inside the rows'
     * valid ranges or the values between them), then the few pad columns in between zeroed. The same values as a copy
     * per row — on a 4 × 4 or 8 × 8 plane a copy per row cost its call for 4 or 8 floats.
     */
    private static void copyRowsAtOnce(float[] src, int srcRow0, float[] dst, int dstRow0, int rows, int ow, int x0, int x1) {
        int first = x0, last = (rows - 1) * ow + x1;
        System.arraycopy(src, srcRow0 + first, dst, dstRow0 + first, last - first);
        for (int r = 0; r < rows; r++) {
            int d = dstRow0 + r * ow;
            for (int q = 0; q < x0; q++) dst[d + q] = 0f;
            for (int q = x1; q < ow; q++) dst[d + q] = 0f;
        }
    }

    static void col2imFast(float[] col, int colOff, int c, int h, int w, int k, int s, int p,
                           float[] dx, int dxOff) {
        int oh = outSize(h, k, s, p), ow = outSize(w, k, s, p);
        int r = 0;
        for (int ch = 0; ch < c; ch++) {
            int plane = dxOff + ch * h * w;
            for (int i = 0; i < k; i++) {
                int y0 = firstValid(i, s, p), y1 = endValid(i, s, p, h, oh);
                for (int j = 0; j < k; j++, r++) {
                    int base = colOff + r * oh * ow;
                    int x0 = firstValid(j, s, p), x1 = endValid(j, s, p, w, ow);
                    if (s == 1 && ow == w && y1 > y0 && x1 > x0) {
                        // the valid rows meet end to end in dx: their pad columns zeroed here in col (the caller's scratch), one
                        // pass from the first valid position to the last adds nothing where they wrap into the next row of dx.
                        // A pass per row cost a call per 3–31 floats (4 × 4 to 32 × 32 planes) and took most of the time
                        for (int oy = y0; x0 > 0 && oy < y1; oy++) for (int q = 0; q < x0; q++) col[base + oy * ow + q] = 0f;
                        for (int oy = y0; x1 < ow && oy < y1; oy++) for (int q = x1; q < ow; q++) col[base + oy * ow + q] = 0f;
                        int first = y0 * ow + x0, last = (y1 - 1) * ow + x1;
                        Elementwise.axpy(1f, col, base + first, dx, plane + (y0 + i - p) * w - p + j + x0, last - first);
                        continue;
                    }
                    for (int oy = y0; oy < y1; oy++) {
                        int src = base + oy * ow;
                        int dst = plane + (oy * s + i - p) * w - p + j;
                        if (s == 1) {
                            Elementwise.axpy(1f, col, src + x0, dx, dst + x0, x1 - x0);
                        } else {
                            for (int ox = x0; ox < x1; ox++) dx[dst + ox * s] += col[src + ox];
                        }
                    }
                }
            }
        }
    }
}
