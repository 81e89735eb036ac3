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
        for (int n : new int[] {1, 2, 3, 5, 8, 17, 40, 97}) {
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
        assertEquals(8, cases);
    }

    @Test
    void agreesWithJacobiReferenceOnOddSizesAndDegenerateSpectra() {
        SplittableRandom r = new SplittableRandom(7);
        int compared = 0;
        for (int n : new int[] {1, 2, 4, 7, 13, 31, 64}) {
            for (int kind = 0; kind < 3; kind++) {
                double[] a = new double[n * n];
                if (kind == 0) { // random symmetric, indefinite
                    for (int i = 0; i < n; i++) for (int j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = r.nextGaussian();
                } else if (kind == 1) { // repeated eigenvalues: Q diag(3,3,…,1,1,…) Qᵀ with a random orthogonal Q
                    double[] q = randomOrthogonal(n, r);
                    for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) for (int p = 0; p < n; p++) a[i * n + j] += q[i * n + p] * (p < n / 2 ? 3 : 1) * q[j * n + p];
                    for (int i = 0; i < n; i++) for (int j = 0; j < i; j++) a[i * n + j] = a[j * n + i];
                } else { // already diagonal, one zero on it (a Householder step with zero scale)
                    for (int i = 0; i < n; i++) a[i * n + i] = i == n / 2 ? 0 : i + 1;
                }
                double[] ref = SymmetricEigen.jacobiEigenvalues(a, n);
                double[] work = a.clone(), v = new double[n * n], vals = new double[n];
                SymmetricEigen.decomposeInPlace(work, n, v, vals);
                double scale = Math.abs(ref[0]) + Math.abs(ref[n - 1]) + 1;
                for (int i = 0; i < n; i++) assertEquals(ref[i], vals[i], 1e-10 * scale, "λ_" + i + " n=" + n + " kind=" + kind);
                // A v_j = λ_j v_j for each column
                for (int j = 0; j < n; j++) {
                    for (int i = 0; i < n; i++) {
                        double av = 0;
                        for (int p = 0; p < n; p++) av += a[i * n + p] * v[p * n + j];
                        assertEquals(vals[j] * v[i * n + j], av, 1e-10 * scale, "A v = λ v n=" + n + " kind=" + kind);
                    }
                }
                compared++;
            }
        }
        assertEquals(21, compared);
    }

    @Test
    void convergesFastOnAWideChannelMode() {
        // the size that stalled the Jacobi calibrator (MobileNetV2's 960-channel mode is the same kind of matrix)
        int n = 384, k = 200;
        SplittableRandom r = new SplittableRandom(3);
        double[] m = new double[k * n];
        for (int i = 0; i < m.length; i++) m[i] = r.nextGaussian() * (1 + (i % n) / 50.0);
        double[] a = new double[n * n];
        for (int p = 0; p < k; p++) for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) a[i * n + j] += m[p * n + i] * m[p * n + j];
        SymmetricEigen.Result e = SymmetricEigen.decompose(a, n);
        double scale = e.values()[0];
        for (int j : new int[] {0, 1, k - 1, k, n - 1}) {
            double worst = 0, norm = 0;
            for (int i = 0; i < n; i++) {
                double av = 0;
                for (int p = 0; p < n; p++) av += a[i * n + p] * e.vector(p, j);
                worst = Math.max(worst, Math.abs(av - e.values()[j] * e.vector(i, j)));
                norm += e.vector(i, j) * e.vector(i, j);
            }
            assertEquals(0, worst, 1e-9 * scale, "residual of column " + j);
            assertEquals(1, norm, 1e-12, "unit column " + j);
        }
        assertEquals(0, e.values()[n - 1], 1e-9 * scale, "rank k < n leaves zero eigenvalues");
        assertTrue(e.values()[k - 1] > 1e-6 * scale, "the k-th eigenvalue is not zero");
    }

    private static double[] randomOrthogonal(int n, SplittableRandom r) {
        double[] q = new double[n * n];
        for (int i = 0; i < q.length; i++) q[i] = r.nextGaussian();
        for (int j = 0; j < n; j++) { // Gram–Schmidt on columns, twice
            for (int pass = 0; pass < 2; pass++) {
                for (int p = 0; p < j; p++) {
                    double dot = 0;
                    for (int i = 0; i < n; i++) dot += q[i * n + p] * q[i * n + j];
                    for (int i = 0; i < n; i++) q[i * n + j] -= dot * q[i * n + p];
                }
            }
            double norm = 0;
            for (int i = 0; i < n; i++) norm += q[i * n + j] * q[i * n + j];
            norm = Math.sqrt(norm);
            for (int i = 0; i < n; i++) q[i * n + j] /= norm;
        }
        return q;
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
