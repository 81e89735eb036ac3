package org.lance4j.linalg;

/**
 * Eigendecomposition of a real symmetric matrix, A = V Λ Vᵀ, in double precision: eigenvalues sorted
 * descending, eigenvectors as orthonormal columns. Householder reduction to tridiagonal form, then the
 * implicit QL iteration with Wilkinson-style shifts (the EISPACK tred2/tql2 pair) — about 9n³ flops
 * in all, against the cyclic Jacobi method's ~8n³ per sweep times 6–10 sweeps, which stalled calibration
 * on 512–960-wide channel modes. The QL rotations run on rows of the transposed eigenvector matrix so
 * they stream through memory. Cyclic Jacobi stays here as the slow reference the tests compare with.
 * Used offline by calibration and, for HOSVD, on the device (allocation-free form).
 */
public final class SymmetricEigen {
    /** λ (n), descending; V (n, n) row-major, column j the eigenvector of λ_j. */
    public record Result(double[] values, double[] vectors, int n) {
        public double vector(int row, int col) {
            return vectors[row * n + col];
        }
    }

    private static final int MAX_SWEEPS = 60;
    private static final int MAX_QL_ITERATIONS = 60;
    private static final double EPS = Math.ulp(1.0);

    private SymmetricEigen() { }

    /**
     * The allocation-free form for per-step use (HOSVD): a (n, n) is destroyed (used as workspace);
     * v (n, n) receives the eigenvectors as columns and values (n) the eigenvalues, both sorted
     * descending. Only the upper triangle of a is read; no symmetry check.
     */
    public static void decomposeInPlace(double[] a, int n, double[] v, double[] values) {
        System.arraycopy(a, 0, v, 0, n * n);
        double[] e = a; // off-diagonal (n), a's storage is free once copied
        tridiagonalize(v, values, e, n);  // v = Qᵀ with A = Q T Qᵀ, T = tridiag(values, e)
        if (!tridiagonalQl(values, e, v, n)) {
            throw new ArithmeticException("symmetric eigensolver did not converge in " + MAX_QL_ITERATIONS
                    + " QL iterations per eigenvalue (n=" + n + "); the matrix has NaN or infinite entries?");
        }
        // selection sort, descending, swapping eigenvector rows along
        for (int i = 0; i < n; i++) {
            int best = i;
            for (int j = i + 1; j < n; j++) if (values[j] > values[best]) best = j;
            if (best == i) continue;
            double t = values[i];
            values[i] = values[best];
            values[best] = t;
            for (int k = 0; k < n; k++) {
                double u = v[i * n + k];
                v[i * n + k] = v[best * n + k];
                v[best * n + k] = u;
            }
        }
        transpose(v, n); // eigenvectors back to columns
    }

    private static void transpose(double[] m, int n) {
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                double t = m[i * n + j];
                m[i * n + j] = m[j * n + i];
                m[j * n + i] = t;
            }
        }
    }

    /**
     * Householder reduction of the symmetric w (n, n, upper triangle read) to tridiagonal form:
     * d (n) the diagonal, e (n) the sub-diagonal with e[0] = 0, and w overwritten by Qᵀ, where
     * A = Q T Qᵀ. The EISPACK tred2 scheme with row scaling against underflow, written on the
     * transpose (tred2 walks the lower triangle by columns; here those are rows of the upper one, so
     * the O(n³) loops stream through memory instead of striding by n).
     */
    private static void tridiagonalize(double[] w, double[] d, double[] e, int n) {
        for (int j = 0; j < n; j++) d[j] = w[j * n + n - 1];
        for (int i = n - 1; i > 0; i--) {
            double scale = 0, h = 0;
            for (int k = 0; k < i; k++) scale += Math.abs(d[k]);
            if (scale == 0) {
                e[i] = d[i - 1];
                for (int j = 0; j < i; j++) {
                    d[j] = w[j * n + i - 1];
                    w[j * n + i] = 0;
                    w[i * n + j] = 0;
                }
            } else {
                for (int k = 0; k < i; k++) {
                    d[k] /= scale;
                    h += d[k] * d[k];
                }
                double f = d[i - 1];
                double g = Math.sqrt(h);
                if (f > 0) g = -g;
                e[i] = scale * g;
                h -= f * g;
                d[i - 1] = f - g;
                for (int j = 0; j < i; j++) e[j] = 0;
                // e = A u over the leading i × i block (its upper triangle), u = d[0..i)
                int ui = i * n;
                for (int j = 0; j < i; j++) {
                    f = d[j];
                    w[ui + j] = f;
                    int rj = j * n;
                    g = e[j] + w[rj + j] * f;
                    for (int k = j + 1; k < i; k++) {
                        double a = w[rj + k];
                        g += a * d[k];
                        e[k] += a * f;
                    }
                    e[j] = g;
                }
                f = 0;
                for (int j = 0; j < i; j++) {
                    e[j] /= h;
                    f += e[j] * d[j];
                }
                double hh = f / (h + h);
                for (int j = 0; j < i; j++) e[j] -= hh * d[j];
                // A ← A − u eᵀ − e uᵀ on the upper triangle
                for (int j = 0; j < i; j++) {
                    f = d[j];
                    g = e[j];
                    int rj = j * n;
                    for (int k = j; k < i; k++) w[rj + k] -= f * e[k] + g * d[k];
                    d[j] = w[rj + i - 1];
                    w[rj + i] = 0;
                }
            }
            d[i] = h;
        }
        // accumulate the transformations (as rows: w ends as Qᵀ)
        for (int i = 0; i < n - 1; i++) {
            w[i * n + n - 1] = w[i * n + i];
            w[i * n + i] = 1;
            double h = d[i + 1];
            int r1 = (i + 1) * n;
            if (h != 0) {
                for (int k = 0; k <= i; k++) d[k] = w[r1 + k] / h;
                for (int j = 0; j <= i; j++) {
                    int rj = j * n;
                    double g = 0;
                    for (int k = 0; k <= i; k++) g += w[r1 + k] * w[rj + k];
                    for (int k = 0; k <= i; k++) w[rj + k] -= g * d[k];
                }
            }
            for (int k = 0; k <= i; k++) w[r1 + k] = 0;
        }
        for (int j = 0; j < n; j++) {
            d[j] = w[j * n + n - 1];
            w[j * n + n - 1] = 0;
        }
        w[(n - 1) * n + n - 1] = 1;
        e[0] = 0;
    }

    /**
     * Implicit QL on the tridiagonal (d, e) (EISPACK tql2): d ends as the eigenvalues (unsorted) and
     * the rows of z (n, n), which hold Qᵀ on entry, as the matching eigenvectors. False if an
     * eigenvalue took more than {@link #MAX_QL_ITERATIONS} iterations.
     */
    private static boolean tridiagonalQl(double[] d, double[] e, double[] z, int n) {
        for (int i = 1; i < n; i++) e[i - 1] = e[i];
        e[n - 1] = 0;
        double f = 0, tst1 = 0;
        for (int l = 0; l < n; l++) {
            tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
            int m = l;
            while (m < n && Math.abs(e[m]) > EPS * tst1) m++;
            if (m == n) m = n - 1; // e[n-1] is 0: never reached in exact arithmetic
            if (m > l) {
                int iter = 0;
                do {
                    if (++iter > MAX_QL_ITERATIONS) return false;
                    double g = d[l];
                    double p = (d[l + 1] - g) / (2 * e[l]);
                    double r = hypot(p, 1);
                    if (p < 0) r = -r;
                    d[l] = e[l] / (p + r);
                    d[l + 1] = e[l] * (p + r);
                    double dl1 = d[l + 1];
                    double h = g - d[l];
                    for (int i = l + 2; i < n; i++) d[i] -= h;
                    f += h;
                    p = d[m];
                    double c = 1, c2 = 1, c3 = 1, s = 0, s2 = 0;
                    double el1 = e[l + 1];
                    for (int i = m - 1; i >= l; i--) {
                        c3 = c2;
                        c2 = c;
                        s2 = s;
                        g = c * e[i];
                        h = c * p;
                        r = hypot(p, e[i]);
                        e[i + 1] = s * r;
                        s = e[i] / r;
                        c = p / r;
                        p = c * d[i] - s * g;
                        d[i + 1] = h + s * (c * g + s * d[i]);
                        // rotate eigenvector rows i and i+1
                        int ri = i * n, rj = (i + 1) * n;
                        for (int k = 0; k < n; k++) {
                            double zi = z[ri + k], zj = z[rj + k];
                            z[rj + k] = s * zi + c * zj;
                            z[ri + k] = c * zi - s * zj;
                        }
                    }
                    p = -s * s2 * c3 * el1 * e[l] / dl1;
                    e[l] = s * p;
                    d[l] = c * p;
                } while (Math.abs(e[l]) > EPS * tst1);
            }
            d[l] += f;
            e[l] = 0;
        }
        return true;
    }

    /** √(a² + b²) without Math.hypot's cost; scaled only when the squares would overflow. */
    private static double hypot(double a, double b) {
        double x = Math.abs(a), y = Math.abs(b);
        double big = Math.max(x, y);
        if (big > 1e150) {
            double small = Math.min(x, y) / big;
            return big * Math.sqrt(1 + small * small);
        }
        return Math.sqrt(x * x + y * y);
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

    /** The slow reference: cyclic Jacobi, eigenvalues only, descending (tests compare the fast solver with it). */
    static double[] jacobiEigenvalues(double[] a, int n) {
        double scale = 0;
        for (double x : a) scale = Math.max(scale, Math.abs(x));
        double[] m = a.clone(), v = new double[n * n];
        jacobi(m, v, n, scale);
        double[] vals = new double[n];
        for (int i = 0; i < n; i++) vals[i] = m[i * n + i];
        java.util.Arrays.sort(vals);
        for (int i = 0; i < n / 2; i++) {
            double t = vals[i];
            vals[i] = vals[n - 1 - i];
            vals[n - 1 - i] = t;
        }
        return vals;
    }

    /** @param a (n, n) row-major; must be symmetric (checked to a relative 1e-6); not modified */
    public static Result decompose(double[] a, int n) {
        if (a.length != n * n) throw new IllegalArgumentException("matrix has " + a.length + " entries, not " + n + "×" + n);
        double scale = 0;
        for (double v : a) {
            if (!Double.isFinite(v)) throw new IllegalArgumentException("matrix has a non-finite entry (" + v + ")");
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                if (Math.abs(a[i * n + j] - a[j * n + i]) > 1e-6 * Math.max(scale, 1e-30)) {
                    throw new IllegalArgumentException("matrix is not symmetric at (" + i + ", " + j + ")");
                }
            }
        }
        double[] work = a.clone(), vecs = new double[n * n], vals = new double[n];
        decomposeInPlace(work, n, vecs, vals);
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
