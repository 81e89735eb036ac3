package org.lance4j.linalg;

/**
 * Eigendecomposition of a real symmetric matrix, A = V Λ Vᵀ, by the cyclic Jacobi method in double
 * precision: eigenvalues sorted descending, eigenvectors as orthonormal columns. Jacobi is accurate to
 * working precision for small eigenvalues too (what energy-based ranks look at) and needs no library;
 * O(n³) per sweep, a handful of sweeps — fine for the mode sizes of activations (batch, channels up
 * to ~1000, spatial sizes). Used offline by calibration and, for HOSVD, on the device.
 */
public final class SymmetricEigen {
    /** λ (n), descending; V (n, n) row-major, column j the eigenvector of λ_j. */
    public record Result(double[] values, double[] vectors, int n) {
        public double vector(int row, int col) {
            return vectors[row * n + col];
        }
    }

    private static final int MAX_SWEEPS = 60;

    private SymmetricEigen() { }

    /**
     * The allocation-free form for per-step use (HOSVD): a (n, n) is destroyed; v (n, n) receives the
     * eigenvectors as columns and values (n) the eigenvalues, both sorted descending. No symmetry check.
     */
    public static void decomposeInPlace(double[] a, int n, double[] v, double[] values) {
        double scale = 0;
        for (int i = 0; i < n * n; i++) scale = Math.max(scale, Math.abs(a[i]));
        java.util.Arrays.fill(v, 0, n * n, 0);
        for (int i = 0; i < n; i++) v[i * n + i] = 1;
        jacobi(a, v, n, scale);
        for (int i = 0; i < n; i++) values[i] = a[i * n + i];
        // selection sort, descending, swapping eigenvector columns along
        for (int i = 0; i < n; i++) {
            int best = i;
            for (int j = i + 1; j < n; j++) if (values[j] > values[best]) best = j;
            if (best == i) continue;
            double t = values[i];
            values[i] = values[best];
            values[best] = t;
            for (int r = 0; r < n; r++) {
                double u = v[r * n + i];
                v[r * n + i] = v[r * n + best];
                v[r * n + best] = u;
            }
        }
    }

    /** Cyclic Jacobi sweeps on m (destroyed: its diagonal ends as the eigenvalues), rotations accumulated in v. */
    private static void jacobi(double[] m, double[] v, int n, double scale) {
        for (int sweep = 0; sweep < MAX_SWEEPS; sweep++) {
            double off = 0;
            for (int i = 0; i < n; i++) for (int j = i + 1; j < n; j++) off += m[i * n + j] * m[i * n + j];
            if (off <= 1e-30 * Math.max(scale * scale, 1e-300) * n * n || off == 0) break;
            for (int p = 0; p < n; p++) {
                for (int q = p + 1; q < n; q++) {
                    double apq = m[p * n + q];
                    if (Math.abs(apq) < 1e-300) continue;
                    double app = m[p * n + p], aqq = m[q * n + q];
                    double theta = (aqq - app) / (2 * apq);
                    double t = Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
                    if (theta == 0) t = 1;
                    double c = 1 / Math.sqrt(t * t + 1), s = t * c;
                    for (int k = 0; k < n; k++) {
                        double mkp = m[k * n + p], mkq = m[k * n + q];
                        m[k * n + p] = c * mkp - s * mkq;
                        m[k * n + q] = s * mkp + c * mkq;
                    }
                    for (int k = 0; k < n; k++) {
                        double mpk = m[p * n + k], mqk = m[q * n + k];
                        m[p * n + k] = c * mpk - s * mqk;
                        m[q * n + k] = s * mpk + c * mqk;
                    }
                    m[p * n + q] = 0;
                    m[q * n + p] = 0;
                    for (int k = 0; k < n; k++) {
                        double vkp = v[k * n + p], vkq = v[k * n + q];
                        v[k * n + p] = c * vkp - s * vkq;
                        v[k * n + q] = s * vkp + c * vkq;
                    }
                }
            }
        }
    }

    /** @param a (n, n) row-major; must be symmetric (checked to a relative 1e-6) */
    public static Result decompose(double[] a, int n) {
        if (a.length != n * n) throw new IllegalArgumentException("matrix has " + a.length + " entries, not " + n + "×" + n);
        double scale = 0;
        for (double v : a) scale = Math.max(scale, Math.abs(v));
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                if (Math.abs(a[i * n + j] - a[j * n + i]) > 1e-6 * Math.max(scale, 1e-30)) {
                    throw new IllegalArgumentException("matrix is not symmetric at (" + i + ", " + j + ")");
                }
            }
        }
        double[] m = a.clone();
        double[] v = new double[n * n];
        for (int i = 0; i < n; i++) v[i * n + i] = 1;
        jacobi(m, v, n, scale);
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        final double[] diag = new double[n];
        for (int i = 0; i < n; i++) diag[i] = m[i * n + i];
        java.util.Arrays.sort(order, (x, y) -> Double.compare(diag[y], diag[x]));
        double[] vals = new double[n], vecs = new double[n * n];
        for (int j = 0; j < n; j++) {
            vals[j] = diag[order[j]];
            for (int i = 0; i < n; i++) vecs[i * n + j] = v[i * n + order[j]];
        }
        return new Result(vals, vecs, n);
    }

    /**
     * The rank rule of LANCE: the smallest r with Σ_{i≤r} λ_i / Σ_i λ_i ≥ ε, clamped to [1, n]
     * (negative round-off eigenvalues count as 0).
     */
    public static int rankForEnergy(double[] descending, double energy) {
        if (!(energy > 0 && energy <= 1)) throw new IllegalArgumentException("--energy must be in (0, 1], got " + energy);
        double total = 0;
        for (double l : descending) total += Math.max(0, l);
        if (total <= 0) return 1;
        double acc = 0;
        for (int r = 0; r < descending.length; r++) {
            acc += Math.max(0, descending[r]);
            if (acc / total >= energy - 1e-12) return r + 1;
        }
        return descending.length;
    }

    /** {@link #rankForEnergy(double[], double)} over the first n values of a longer array. */
    public static int rankForEnergy(double[] descending, int n, double energy) {
        double total = 0;
        for (int i = 0; i < n; i++) total += Math.max(0, descending[i]);
        if (total <= 0) return 1;
        double acc = 0;
        for (int r = 0; r < n; r++) {
            acc += Math.max(0, descending[r]);
            if (acc / total >= energy - 1e-12) return r + 1;
        }
        return n;
    }

    /** Fraction of the energy kept by the first r eigenvalues. */
    public static double energyKept(double[] descending, int r) {
        double total = 0, acc = 0;
        for (int i = 0; i < descending.length; i++) {
            double l = Math.max(0, descending[i]);
            total += l;
            if (i < r) acc += l;
        }
        return total <= 0 ? 1 : acc / total;
    }
}
