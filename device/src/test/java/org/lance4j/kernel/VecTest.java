package org.lance4j.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jdk.incubator.vector.VectorShape;
import org.junit.jupiter.api.Test;

/** The species in use is the one asked for with -Dlance4j.species (so the 128-bit run really is 128-bit). */
class VecTest {
    @Test
    void speciesMatchesTheProperty() {
        String s = System.getProperty(Vec.PROPERTY, "preferred");
        switch (s) {
            case "scalar" -> assertFalse(Vec.ENABLED);
            case "preferred" -> {
                assertTrue(Vec.ENABLED);
                assertEquals(VectorShape.preferredShape().vectorBitSize(), Vec.F.vectorBitSize());
            }
            default -> {
                assertTrue(Vec.ENABLED);
                assertEquals(Integer.parseInt(s), Vec.F.vectorBitSize());
            }
        }
        assertEquals(Vec.F.vectorBitSize(), Vec.I.vectorBitSize());
    }

    /**
     * sumEachStored gives every stored vector sumStored's bits, and sumStored gives sumLanes's, for every count of
     * vectors the fold takes (1 to 16), on values of mixed sign and magnitude (so that a changed order would show),
     * with infinities and NaNs mixed in; the pairwise order is pinned by a scalar tree written out here.
     */
    @Test
    void storedSumsMatchTheLaneSumBitForBit() {
        int l = Vec.F.length(), cases = 0;   // 4 at -Dlance4j.species=scalar too (the species the sums are written for)
        java.util.Random r = new java.util.Random(3);
        for (int n = 1; n <= 16; n *= 2) {
            for (int trial = 0; trial < 50; trial++) {
                float[] t = new float[16 * l], orig = new float[n * l];
                for (int q = 0; q < orig.length; q++) {
                    float x = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(9) - 4));
                    if (trial == 7 && q % 13 == 5) x = Float.POSITIVE_INFINITY;
                    if (trial == 8 && q % 11 == 3) x = Float.NaN;
                    orig[q] = x;
                }
                System.arraycopy(orig, 0, t, 0, orig.length);
                Vec.sumEachStored(t, n);
                for (int v = 0; v < n; v++) {
                    float stored = Vec.sumStored(orig, v * l);
                    float lanes = Vec.sumLanes(jdk.incubator.vector.FloatVector.fromArray(Vec.F, orig, v * l));
                    float tree = pairwise(orig, v * l, l);
                    String what = "n=" + n + " trial=" + trial + " vector " + v;
                    assertEquals(Float.floatToIntBits(tree), Float.floatToIntBits(stored), "sumStored " + what);
                    assertEquals(Float.floatToIntBits(tree), Float.floatToIntBits(lanes), "sumLanes " + what);
                    assertEquals(Float.floatToIntBits(tree), Float.floatToIntBits(t[v]), "sumEachStored " + what);
                    cases++;
                }
            }
        }
        assertEquals(50 * (1 + 2 + 4 + 8 + 16), cases);
    }

    private static float pairwise(float[] a, int off, int n) {
        if (n == 1) return a[off];
        float s = pairwise(a, off, n / 2);
        return s + pairwise(a, off + n / 2, n / 2);
    }
}
