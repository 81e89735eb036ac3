package org.lance4j.linalg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SymmetricEigenTest {
    static final double TOL = 1e-9;

    @Test
    void reconstructsOrthonormallyAndSorted() {
        SplittableRandom r = new SplittableRandom(1);
        int cases = 0;
        for (int n : new int[] {1, 2, 3, 5, 8, 17, 40}) {
            // A = Mᵀ M: symmetric positive semi-definite, like a Gram matrix
            int k = Math.max(1, n / 2);
            double[] m = new double[k * n];
            for (int i = 0; i < m.length; i++) m[i] = r.nextGaussian();
            double[] a = new double[n * n];
            for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) for (int p = 0; p < k; p++) a[i * n + j] += m[p * n + i] * m[p * n + j];
            SymmetricEigen.Result e = SymmetricEigen.decompose(a, n);
            double scale = 0;
            for (double v : a) scale = Math.max(scale, Math.abs(v));
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    double rec = 0, dot = 0;
                    for (int q = 0; q < n; q++) {
                        rec += e.vector(i, q) * e.values()[q] * e.vector(j, q);
                        dot += e.vector(q, i) * e.vector(q, j);
                    }
                    assertEquals(a[i * n + j], rec, TOL * (1 + scale), "V Λ Vᵀ = A at n=" + n);
                    assertEquals(i == j ? 1 : 0, dot, TOL, "VᵀV = I at n=" + n);
                }
            }
            for (int i = 1; i < n; i++) assertTrue(e.values()[i - 1] >= e.values()[i], "descending");
            // rank deficiency: n − k eigenvalues are (numerically) zero
            if (n > 1) assertEquals(0, e.values()[n - 1], 1e-8 * (1 + scale));
            cases++;
        }
        assertEquals(7, cases);
    }

    @Test
    void knownEigenvalues() {
        double[] a = {2, 1, 0, 1, 2, 0, 0, 0, 5};
        SymmetricEigen.Result e = SymmetricEigen.decompose(a, 3);
        assertEquals(5, e.values()[0], TOL);
        assertEquals(3, e.values()[1], TOL);
        assertEquals(1, e.values()[2], TOL);
        assertThrows(IllegalArgumentException.class, () -> SymmetricEigen.decompose(new double[] {1, 2, 3, 4}, 2));
    }

    @Test
    void energyRankRule() {
        double[] l = {6, 3, 1, 0, -1e-15};
        assertEquals(1, SymmetricEigen.rankForEnergy(l, 0.5));
        assertEquals(1, SymmetricEigen.rankForEnergy(l, 0.6), "6/10 reaches 0.6 exactly");
        assertEquals(2, SymmetricEigen.rankForEnergy(l, 0.7));
        assertEquals(2, SymmetricEigen.rankForEnergy(l, 0.9));
        assertEquals(3, SymmetricEigen.rankForEnergy(l, 0.95));
        assertEquals(3, SymmetricEigen.rankForEnergy(l, 1.0), "zero eigenvalues add no energy");
        assertEquals(1, SymmetricEigen.rankForEnergy(new double[] {0, 0}, 0.7), "clamped to at least 1");
        assertEquals(0.9, SymmetricEigen.energyKept(l, 2), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> SymmetricEigen.rankForEnergy(l, 0));
    }
}
