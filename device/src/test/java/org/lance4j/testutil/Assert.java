package org.lance4j.testutil;

import static org.junit.jupiter.api.Assertions.fail;

/** Element-wise comparison with |a − e| ≤ atol + rtol·|e|, reporting the worst element. */
public final class Assert {
    private Assert() { }

    /** @return the largest absolute difference */
    public static double close(String what, float[] expected, int eOff, float[] actual, int aOff, int n, double atol, double rtol) {
        double worst = 0, worstExcess = 0;
        int at = -1;
        for (int i = 0; i < n; i++) {
            double e = expected[eOff + i], a = actual[aOff + i];
            double d = Math.abs(a - e);
            if (Double.isNaN(a) != Double.isNaN(e)) d = Double.POSITIVE_INFINITY;
            double excess = d - (atol + rtol * Math.abs(e));
            if (d > worst || Double.isInfinite(d)) worst = d;
            if (excess > worstExcess || (excess > 0 && at < 0) || Double.isInfinite(d)) {
                worstExcess = excess;
                at = i;
            }
        }
        if (at >= 0) {
            fail(String.format("%s: element %d of %d: expected %.8g, got %.8g (|diff| %.3g > atol %.1g + rtol %.1g·|e|)",
                    what, at, n, expected[eOff + at], actual[aOff + at], Math.abs(actual[aOff + at] - expected[eOff + at]), atol, rtol));
        }
        return worst;
    }

    public static double close(String what, float[] expected, float[] actual, double atol, double rtol) {
        if (expected.length != actual.length) fail(what + ": length " + actual.length + " != expected " + expected.length);
        return close(what, expected, 0, actual, 0, expected.length, atol, rtol);
    }

    /** The same floats bit for bit (NaN payloads and the sign of zero included). */
    public static void sameBits(float[] expected, float[] actual, String what) {
        int[] e = new int[expected.length], a = new int[actual.length];
        for (int i = 0; i < e.length; i++) e[i] = Float.floatToRawIntBits(expected[i]);
        for (int i = 0; i < a.length; i++) a[i] = Float.floatToRawIntBits(actual[i]);
        org.junit.jupiter.api.Assertions.assertArrayEquals(e, a, what);
    }
}
