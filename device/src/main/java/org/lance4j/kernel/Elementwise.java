package org.lance4j.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Element-wise kernels over runs of n floats, and bit-packed activation masks. A mask stores one bit
 * per element, element e in word {@code bitOff + e/32}, bit {@code e % 32}: 32× smaller than keeping
 * the activation, which is what ReLU/ReLU6/Dropout keep for backward.
 *
 * <p>Vector mask packing avoids {@code VectorMask.toLong/fromLong}, which are not intrinsified on
 * every platform and would allocate; it blends per-lane bit constants and OR-reduces instead.
 */
public final class Elementwise {
    private static final VectorSpecies<Float> S = Vec.F;
    private static final VectorSpecies<Integer> SI = Vec.I;
    /** BIT[q] = 1 << q, twice over so that any lane window of 32 is a plain load. */
    private static final int[] BIT = new int[64];

    static {
        for (int q = 0; q < 64; q++) BIT[q] = 1 << (q & 31);
        if (Vec.ENABLED && 32 % S.length() != 0) {
            throw new IllegalStateException("mask packing needs a lane count dividing 32, got " + S.length());
        }
    }

    private Elementwise() { }

    // ---------------------------------------------------------------- plain arithmetic

    /** out = a + b. */
    public static void add(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        int i = 0;
        if (Vec.ENABLED) {
            int nv = n - n % S.length();
            for (; i < nv; i += S.length()) {
                FloatVector.fromArray(S, a, aOff + i).add(FloatVector.fromArray(S, b, bOff + i)).intoArray(out, outOff + i);
            }
        }
        for (; i < n; i++) out[outOff + i] = a[aOff + i] + b[bOff + i];
    }

    /** y += alpha · x. */
    public static void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        int i = 0;
        if (Vec.ENABLED) {
            FloatVector va = FloatVector.broadcast(S, alpha);
            int nv = n - n % S.length();
            for (; i < nv; i += S.length()) {
                va.fma(FloatVector.fromArray(S, x, xOff + i), FloatVector.fromArray(S, y, yOff + i)).intoArray(y, yOff + i);
            }
        }
        for (; i < n; i++) y[yOff + i] += alpha * x[xOff + i];
    }

    /** x *= alpha. */
    public static void scale(float[] x, int off, int n, float alpha) {
        int i = 0;
        if (Vec.ENABLED) {
            int nv = n - n % S.length();
            for (; i < nv; i += S.length()) FloatVector.fromArray(S, x, off + i).mul(alpha).intoArray(x, off + i);
        }
        for (; i < n; i++) x[off + i] *= alpha;
    }

    /**
     * y = a · x + b (BN normalize and affine), fused (one rounding) in the lanes and the tail alike, so an element's
     * value does not depend on where it falls in a call — nor on whether BN ran plane by plane or channel-major
     * ({@link #mulAdd}), or in a convolution's epilogue ({@link #rowsScaleShiftClamp}).
     */
    public static void scaleShift(float[] x, int xOff, float[] y, int yOff, int n, float a, float b) {
        int i = 0;
        if (Vec.ENABLED) {
            FloatVector va = FloatVector.broadcast(S, a), vb = FloatVector.broadcast(S, b);
            int nv = n - n % S.length();
            for (; i < nv; i += S.length()) FloatVector.fromArray(S, x, xOff + i).fma(va, vb).intoArray(y, yOff + i);
        }
        for (; i < n; i++) y[yOff + i] = Math.fma(a, x[xOff + i], b);
    }

    /**
     * h = a · x + b, then y = g · h + c ({@link #scaleShift} twice) in one pass over x: a training BN's normalized values
     * (kept for backward) and its output, without reading h back. The same fused multiply-adds, so the same bits.
     */
    public static void scaleShiftTwice(float[] x, int xOff, float[] h, int hOff, float[] y, int yOff, int n, float a, float b, float g, float c) {
        int i = 0;
        if (Vec.ENABLED) {
            FloatVector va = FloatVector.broadcast(S, a), vb = FloatVector.broadcast(S, b), vg = FloatVector.broadcast(S, g), vc = FloatVector.broadcast(S, c);
            int nv = n - n % S.length();
            for (; i < nv; i += S.length()) {
                FloatVector v = FloatVector.fromArray(S, x, xOff + i).fma(va, vb);
                v.intoArray(h, hOff + i);
                v.fma(vg, vc).intoArray(y, yOff + i);
            }
        }
        for (; i < n; i++) {
            float v = Math.fma(a, x[xOff + i], b);
            h[hOff + i] = v;
            y[yOff + i] = Math.fma(g, v, c);
        }
    }

    /**
     * y = clamp(a · x + b, 0, cap): an eval-mode BN and the ReLU (cap = +∞) or ReLU6 after it in one pass — the bits of
     * {@link #scaleShift} followed by {@link #clamp}. x and y may be the same range.
     */
    public static void scaleShiftClamp(float[] x, int xOff, float[] y, int yOff, int n, float a, float b, float cap) {
        int i = 0;
        if (Vec.ENABLED && n >= S.length()) {   // (a short row: no vector set-up, as it is called per 2 × 2 or 1 × 1 plane)
            FloatVector va = FloatVector.broadcast(S, a), vb = FloatVector.broadcast(S, b);
            FloatVector zero = FloatVector.zero(S), vcap = FloatVector.broadcast(S, cap);
            int nv = n - n % S.length();
            for (; i < nv; i += S.length()) FloatVector.fromArray(S, x, xOff + i).fma(va, vb).max(zero).min(vcap).intoArray(y, yOff + i);
        }
        for (; i < n; i++) {
            float v = Math.fma(a, x[xOff + i], b);
            y[yOff + i] = v <= 0f ? 0f : Math.min(v, cap);
        }
    }

    /**
     * Row r of the (rows, cols) block of c at off (row stride ld) ← clamp(scale[s + r] · row + shift[s + r], 0, cap), in
     * place: a frozen BN and its activation applied to a convolution's output (one output channel per row) while it is
     * still in cache — the bits of {@link #scaleShiftClamp} on each row.
     */
    public static void rowsScaleShiftClamp(float[] c, int off, int rows, int cols, int ld, float[] scale, float[] shift, int s, float cap) {
        for (int r = 0; r < rows; r++) {
            int o = off + r * ld;
            scaleShiftClamp(c, o, c, o, cols, scale[s + r], shift[s + r], cap);
        }
    }

    /** x += v (broadcast a scalar, e.g. a bias or a global-average-pool gradient). */
    public static void addScalar(float[] x, int off, int n, float v) {
        int i = 0;
        if (Vec.ENABLED) {
            FloatVector vv = FloatVector.broadcast(S, v);
            int nv = n - n % S.length();
            for (; i < nv; i += S.length()) FloatVector.fromArray(S, x, off + i).add(vv).intoArray(x, off + i);
        }
        for (; i < n; i++) x[off + i] += v;
    }

    /** Batch-norm input gradient from batch statistics: dx += k · (dy − m1 − xhat · m2). */
    public static void bnBackward(float[] dy, int dyOff, float[] xhat, int xhOff, float[] dx, int dxOff, int n,
                                  float k, float m1, float m2) {
        bnBackward(dy, dyOff, xhat, xhOff, dx, dxOff, n, k, m1, m2, true);
    }

    /** As above with {@code acc}; false: dx = k · (…), the first writer of dx (the same value as adding to a zero). */
    public static void bnBackward(float[] dy, int dyOff, float[] xhat, int xhOff, float[] dx, int dxOff, int n,
                                  float k, float m1, float m2, boolean acc) {
        int i = 0;
        if (Vec.ENABLED) {
            FloatVector vk = FloatVector.broadcast(S, k), v1 = FloatVector.broadcast(S, m1), v2 = FloatVector.broadcast(S, m2);
            FloatVector zero = FloatVector.zero(S);
            int nv = n - n % S.length();
            for (; i < nv; i += S.length()) {
                FloatVector t = FloatVector.fromArray(S, dy, dyOff + i).sub(v1)
                        .sub(FloatVector.fromArray(S, xhat, xhOff + i).mul(v2));
                t.fma(vk, acc ? FloatVector.fromArray(S, dx, dxOff + i) : zero).intoArray(dx, dxOff + i);
            }
        }
        for (; i < n; i++) {
            float v = k * (dy[dyOff + i] - m1 - xhat[xhOff + i] * m2);
            dx[dxOff + i] = acc ? dx[dxOff + i] + v : v;
        }
    }

    // ---------------------------------------------------------------- per-element coefficients
    // (batch norm on small planes, channel-major: one pass per image over a block of channels, each element with its
    // channel's coefficient; the scalar tails fuse as the vector lanes do, so a lane and a tail element agree)

    /** y = x · a + b, a and b per element (fused). */
    public static void mulAdd(float[] x, int xOff, float[] a, int aOff, float[] b, int bOff, float[] y, int yOff, int n) {
        int i = 0;
        if (Vec.ENABLED) {
            int nv = n - n % S.length();
            for (; i < nv; i += S.length()) {
                FloatVector.fromArray(S, x, xOff + i).fma(FloatVector.fromArray(S, a, aOff + i), FloatVector.fromArray(S, b, bOff + i))
                        .intoArray(y, yOff + i);
            }
        }
        for (; i < n; i++) y[yOff + i] = Math.fma(x[xOff + i], a[aOff + i], b[bOff + i]);
    }

    /**
     * h = x · a + b, then y = h · g + c per element ({@link #mulAdd} twice; the four coefficient runs in one array, as the
     * channel-major BN keeps them) in one pass over x, without reading h back: the same bits.
     */
    public static void mulAddTwice(float[] x, int xOff, float[] ws, int aOff, int bOff, int gOff, int cOff, float[] h, int hOff, float[] y, int yOff, int n) {
        int i = 0;
        if (Vec.ENABLED) {
            int nv = n - n % S.length();
            for (; i < nv; i += S.length()) {
                FloatVector v = FloatVector.fromArray(S, x, xOff + i).fma(FloatVector.fromArray(S, ws, aOff + i), FloatVector.fromArray(S, ws, bOff + i));
                v.intoArray(h, hOff + i);
                v.fma(FloatVector.fromArray(S, ws, gOff + i), FloatVector.fromArray(S, ws, cOff + i)).intoArray(y, yOff + i);
            }
        }
        for (; i < n; i++) {
            float v = Math.fma(x[xOff + i], ws[aOff + i], ws[bOff + i]);
            h[hOff + i] = v;
            y[yOff + i] = Math.fma(v, ws[gOff + i], ws[cOff + i]);
        }
    }

    /** y = clamp(x · a + b, 0, cap) per element (fused): channel-major eval BN and the ReLU/ReLU6 after it, {@link #mulAdd} then {@link #clamp}. */
    public static void mulAddClamp(float[] x, int xOff, float[] a, int aOff, float[] b, int bOff, float[] y, int yOff, int n, float cap) {
        int i = 0;
        if (Vec.ENABLED) {
            FloatVector zero = FloatVector.zero(S), vcap = FloatVector.broadcast(S, cap);
            int nv = n - n % S.length();
            for (; i < nv; i += S.length()) {
                FloatVector.fromArray(S, x, xOff + i).fma(FloatVector.fromArray(S, a, aOff + i), FloatVector.fromArray(S, b, bOff + i))
                        .max(zero).min(vcap).intoArray(y, yOff + i);
            }
        }
        for (; i < n; i++) {
            float v = Math.fma(x[xOff + i], a[aOff + i], b[bOff + i]);
            y[yOff + i] = v <= 0f ? 0f : Math.min(v, cap);
        }
    }

    /** acc += x · y (fused). */
    public static void accMul(float[] x, int xOff, float[] y, int yOff, float[] acc, int accOff, int n) {
        int i = 0;
        if (Vec.ENABLED) {
            int nv = n - n % S.length();
            for (; i < nv; i += S.length()) {
                FloatVector.fromArray(S, x, xOff + i).fma(FloatVector.fromArray(S, y, yOff + i), FloatVector.fromArray(S, acc, accOff + i))
                        .intoArray(acc, accOff + i);
            }
        }
        for (; i < n; i++) acc[accOff + i] = Math.fma(x[xOff + i], y[yOff + i], acc[accOff + i]);
    }

    /**
     * sum += x and prod = fma(x, y, prod), element-wise, in one pass over x: {@link #add}(x, sum → sum) and {@link #accMul}
     * (x, y → prod) fused, the same operations, so the same bits (BN's channel-major backward reads dy once).
     */
    public static void addAndAccMul(float[] x, int xOff, float[] y, int yOff, float[] ws, int sumOff, int prodOff, int n) {
        int i = 0;
        if (Vec.ENABLED) {
            int nv = n - n % S.length();
            for (; i < nv; i += S.length()) {
                FloatVector v = FloatVector.fromArray(S, x, xOff + i);
                v.add(FloatVector.fromArray(S, ws, sumOff + i)).intoArray(ws, sumOff + i);
                v.fma(FloatVector.fromArray(S, y, yOff + i), FloatVector.fromArray(S, ws, prodOff + i)).intoArray(ws, prodOff + i);
            }
        }
        for (; i < n; i++) {
            float v = x[xOff + i];
            ws[sumOff + i] = v + ws[sumOff + i];
            ws[prodOff + i] = Math.fma(v, y[yOff + i], ws[prodOff + i]);
        }
    }

    /** out = x · y. */
    public static void mul(float[] x, int xOff, float[] y, int yOff, float[] out, int outOff, int n) {
        int i = 0;
        if (Vec.ENABLED) {
            int nv = n - n % S.length();
            for (; i < nv; i += S.length()) {
                FloatVector.fromArray(S, x, xOff + i).mul(FloatVector.fromArray(S, y, yOff + i)).intoArray(out, outOff + i);
            }
        }
        for (; i < n; i++) out[outOff + i] = x[xOff + i] * y[yOff + i];
    }

    /** acc += (x − m)², m per element (the square fused with the sum). */
    public static void accSqDiff(float[] x, int xOff, float[] m, int mOff, float[] acc, int accOff, int n) {
        int i = 0;
        if (Vec.ENABLED) {
            int nv = n - n % S.length();
            for (; i < nv; i += S.length()) {
                FloatVector d = FloatVector.fromArray(S, x, xOff + i).sub(FloatVector.fromArray(S, m, mOff + i));
                d.fma(d, FloatVector.fromArray(S, acc, accOff + i)).intoArray(acc, accOff + i);
            }
        }
        for (; i < n; i++) {
            float d = x[xOff + i] - m[mOff + i];
            acc[accOff + i] = Math.fma(d, d, acc[accOff + i]);
        }
    }

    /**
     * {@link #bnBackward(float[], int, float[], int, float[], int, int, float, float, float)} with k, m1 and m2 per
     * element, read from {@code coef} at kOff, m1Off and m2Off: dx += k · (dy − m1 − xhat · m2), or dx = … when not
     * {@code acc}.
     */
    public static void bnBackward(float[] dy, int dyOff, float[] xhat, int xhOff, float[] dx, int dxOff, int n,
                                  float[] coef, int kOff, int m1Off, int m2Off, boolean acc) {
        int i = 0;
        if (Vec.ENABLED) {
            FloatVector zero = FloatVector.zero(S);
            int nv = n - n % S.length();
            for (; i < nv; i += S.length()) {
                FloatVector t = FloatVector.fromArray(S, dy, dyOff + i).sub(FloatVector.fromArray(S, coef, m1Off + i))
                        .sub(FloatVector.fromArray(S, xhat, xhOff + i).mul(FloatVector.fromArray(S, coef, m2Off + i)));
                t.fma(FloatVector.fromArray(S, coef, kOff + i), acc ? FloatVector.fromArray(S, dx, dxOff + i) : zero).intoArray(dx, dxOff + i);
            }
        }
        for (; i < n; i++) {
            float t = dy[dyOff + i] - coef[m1Off + i] - xhat[xhOff + i] * coef[m2Off + i];
            dx[dxOff + i] = Math.fma(t, coef[kOff + i], acc ? dx[dxOff + i] : 0f);
        }
    }

    // ---------------------------------------------------------------- masks

    /**
     * y = clamp(x, 0, cap) and the mask bit set where 0 < x < cap (where the gradient passes).
     * cap = +∞ gives ReLU, 6 gives ReLU6.
     */
    public static void clampForward(float[] x, int xOff, float[] y, int yOff, int n, float cap, int[] bits, int bitOff) {
        if (Vec.ENABLED) clampForwardVector(x, xOff, y, yOff, n, cap, bits, bitOff);
        else clampForwardScalar(x, xOff, y, yOff, n, cap, bits, bitOff, 0);
    }

    /** y = clamp(x, 0, cap) without a mask (inference and layers off the backward path). */
    public static void clamp(float[] x, int xOff, float[] y, int yOff, int n, float cap) {
        int i = 0;
        if (Vec.ENABLED) {
            FloatVector zero = FloatVector.zero(S), vcap = FloatVector.broadcast(S, cap);
            int nv = n - n % S.length();
            for (; i < nv; i += S.length()) FloatVector.fromArray(S, x, xOff + i).max(zero).min(vcap).intoArray(y, yOff + i);
        }
        for (; i < n; i++) {
            float v = x[xOff + i];
            y[yOff + i] = v <= 0f ? 0f : Math.min(v, cap);
        }
    }

    /** dx += scale · dy where the mask bit is set. */
    public static void maskedBackward(float[] dy, int dyOff, int[] bits, int bitOff, float scale, float[] dx, int dxOff, int n) {
        if (Vec.ENABLED) maskedBackwardVector(dy, dyOff, bits, bitOff, scale, dx, dxOff, n);
        else maskedBackwardScalar(dy, dyOff, bits, bitOff, scale, dx, dxOff, n, 0);
    }

    /**
     * y = scale · x where the mask bit is set, else 0: dropout's forward with a prepared mask, and a masked backward
     * that is the first writer of dx (nothing to add to, so the buffer need not be zeroed first).
     */
    public static void maskedScale(float[] x, int xOff, int[] bits, int bitOff, float scale, float[] y, int yOff, int n) {
        if (Vec.ENABLED) maskedScaleVector(x, xOff, bits, bitOff, scale, y, yOff, n);
        else maskedScaleScalar(x, xOff, bits, bitOff, scale, y, yOff, n, 0);
    }

    /** Scalar reference of {@link #maskedScale}, from element {@code from} on. */
    public static void maskedScaleScalar(float[] x, int xOff, int[] bits, int bitOff, float scale, float[] y, int yOff, int n, int from) {
        for (int e = from; e < n; e++) {
            y[yOff + e] = ((bits[bitOff + (e >>> 5)] >>> (e & 31)) & 1) != 0 ? scale * x[xOff + e] : 0f;
        }
    }

    static void maskedScaleVector(float[] x, int xOff, int[] bits, int bitOff, float scale, float[] y, int yOff, int n) {
        final int l = S.length();
        final int full = n & ~31;
        FloatVector vs = FloatVector.broadcast(S, scale), zero = FloatVector.zero(S);
        for (int base = 0; base < full; base += 32) {
            IntVector word = IntVector.broadcast(SI, bits[bitOff + (base >>> 5)]);
            for (int q = 0; q < 32; q += l) {
                VectorMask<Float> m = word.and(IntVector.fromArray(SI, BIT, q))
                        .compare(VectorOperators.NE, 0).cast(S);
                zero.blend(FloatVector.fromArray(S, x, xOff + base + q).mul(vs), m).intoArray(y, yOff + base + q);
            }
        }
        maskedScaleScalar(x, xOff, bits, bitOff, scale, y, yOff, n, full);
    }

    /** Scalar reference, from element {@code from} on (the vector path uses it for the tail). */
    public static void clampForwardScalar(float[] x, int xOff, float[] y, int yOff, int n, float cap, int[] bits,
                                          int bitOff, int from) {
        for (int w = from >>> 5, end = wordsFor(n); w < end; w++) bits[bitOff + w] = 0;
        for (int e = from; e < n; e++) {
            float v = x[xOff + e];
            if (v > 0f && v < cap) bits[bitOff + (e >>> 5)] |= 1 << (e & 31);
            y[yOff + e] = v <= 0f ? 0f : Math.min(v, cap);
        }
    }

    public static void maskedBackwardScalar(float[] dy, int dyOff, int[] bits, int bitOff, float scale, float[] dx,
                                            int dxOff, int n, int from) {
        for (int e = from; e < n; e++) {
            if (((bits[bitOff + (e >>> 5)] >>> (e & 31)) & 1) != 0) dx[dxOff + e] += scale * dy[dyOff + e];
        }
    }

    private static int wordsFor(int n) {
        return (n + 31) >>> 5;
    }

    static void clampForwardVector(float[] x, int xOff, float[] y, int yOff, int n, float cap, int[] bits, int bitOff) {
        final int l = S.length();
        final int full = n & ~31;
        FloatVector zero = FloatVector.zero(S), vcap = FloatVector.broadcast(S, cap);
        IntVector izero = IntVector.zero(SI);
        for (int base = 0; base < full; base += 32) {
            int word = 0;
            for (int q = 0; q < 32; q += l) {
                FloatVector v = FloatVector.fromArray(S, x, xOff + base + q);
                VectorMask<Float> m = v.compare(VectorOperators.GT, zero).and(v.compare(VectorOperators.LT, vcap));
                word |= izero.blend(IntVector.fromArray(SI, BIT, q), m.cast(SI)).reduceLanes(VectorOperators.OR);
                v.max(zero).min(vcap).intoArray(y, yOff + base + q);
            }
            bits[bitOff + (base >>> 5)] = word;
        }
        clampForwardScalar(x, xOff, y, yOff, n, cap, bits, bitOff, full);
    }

    static void maskedBackwardVector(float[] dy, int dyOff, int[] bits, int bitOff, float scale, float[] dx, int dxOff, int n) {
        final int l = S.length();
        final int full = n & ~31;
        FloatVector vs = FloatVector.broadcast(S, scale);
        for (int base = 0; base < full; base += 32) {
            IntVector word = IntVector.broadcast(SI, bits[bitOff + (base >>> 5)]);
            for (int q = 0; q < 32; q += l) {
                VectorMask<Float> m = word.and(IntVector.fromArray(SI, BIT, q))
                        .compare(VectorOperators.NE, 0).cast(S);
                FloatVector d = FloatVector.fromArray(S, dx, dxOff + base + q);
                d.add(FloatVector.fromArray(S, dy, dyOff + base + q).mul(vs), m).intoArray(dx, dxOff + base + q);
            }
        }
        maskedBackwardScalar(dy, dyOff, bits, bitOff, scale, dx, dxOff, n, full);
    }

    // ---------------------------------------------------------------- optimizer

    /**
     * One SGD step over a run of n parameters, PyTorch semantics: d = g + wd·p; buf = μ·buf + d
     * (buf = d at the first step); p −= lr·(nesterov ? d + μ·buf : buf). With μ = 0 the buffer is unused.
     */
    public static void sgd(float[] p, int pOff, float[] g, int gOff, float[] buf, int bOff, int n, float lr,
                           float momentum, float wd, boolean nesterov, boolean first) {
        if (Vec.ENABLED) sgdVector(p, pOff, g, gOff, buf, bOff, n, lr, momentum, wd, nesterov, first);
        else sgdScalar(p, pOff, g, gOff, buf, bOff, n, lr, momentum, wd, nesterov, first, 0);
    }

    public static void sgdScalar(float[] p, int pOff, float[] g, int gOff, float[] buf, int bOff, int n, float lr,
                                 float momentum, float wd, boolean nesterov, boolean first, int from) {
        for (int i = from; i < n; i++) {
            float d = g[gOff + i] + wd * p[pOff + i];
            if (momentum != 0f) {
                float b = first ? d : momentum * buf[bOff + i] + d;
                buf[bOff + i] = b;
                d = nesterov ? d + momentum * b : b;
            }
            p[pOff + i] -= lr * d;
        }
    }

    static void sgdVector(float[] p, int pOff, float[] g, int gOff, float[] buf, int bOff, int n, float lr,
                          float momentum, float wd, boolean nesterov, boolean first) {
        final int l = S.length();
        int nv = n - n % l;
        FloatVector vwd = FloatVector.broadcast(S, wd), vmu = FloatVector.broadcast(S, momentum);
        FloatVector vlr = FloatVector.broadcast(S, -lr);
        for (int i = 0; i < nv; i += l) {
            FloatVector vp = FloatVector.fromArray(S, p, pOff + i);
            FloatVector d = vp.fma(vwd, FloatVector.fromArray(S, g, gOff + i));
            if (momentum != 0f) {
                FloatVector b = first ? d : FloatVector.fromArray(S, buf, bOff + i).fma(vmu, d);
                b.intoArray(buf, bOff + i);
                d = nesterov ? b.fma(vmu, d) : b;
            }
            d.fma(vlr, vp).intoArray(p, pOff + i);
        }
        sgdScalar(p, pOff, g, gOff, buf, bOff, n, lr, momentum, wd, nesterov, first, nv);
    }
}
