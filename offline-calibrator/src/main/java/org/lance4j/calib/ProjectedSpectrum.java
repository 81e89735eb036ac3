package org.lance4j.calib;

import org.lance4j.compress.SubspaceMemory;
import org.lance4j.kernel.Gemm;
import org.lance4j.linalg.SymmetricEigen;

/**
 * The spectrum of a layer's input representation R (D, N) after removing what a memory P (D, k) spans:
 * R̂ = R − P Pᵀ R. Gives ‖R‖², ‖P Pᵀ R‖² and the eigenpairs of R̂ R̂ᵀ = (I − P Pᵀ) R Rᵀ (I − P Pᵀ), largest
 * first, down to the numerical rank (eigenvalues above {@link #FLOOR} of ‖R‖²; below it a float Gram has
 * no information, and its vectors have no reliable direction). {@link #basis} re-projects the leading
 * vectors off P and re-orthonormalizes them in double, so they are orthogonal to P to rounding.
 *
 * <p>From the Gram R Rᵀ (D × D) when it is given or when N ≥ D; from the N × N Gram R̂ᵀ R̂ otherwise (its
 * eigenvectors w map to u = R̂ w / √λ, what a thin SVD of R̂ gives), so a 2048-wide linear input seen by
 * 640 samples costs a 640² eigenproblem, not a 2048² one.
 */
public record ProjectedSpectrum(int d, double total, double along, double[] values, double[] vectors, int m, SubspaceMemory memory) {
    /** Eigenvalues at or below this fraction of ‖R‖² are round-off. */
    public static final double FLOOR = 1e-6;

    /**
     * The first {@code count} vectors as a basis (D, count') row-major: each taken off P twice and
     * orthogonalized against the ones before it (modified Gram–Schmidt, in double, on contiguous vectors);
     * a vector that loses half its length to that was round-off and is skipped, so count' ≤ count.
     */
    public float[] basis(int count) {
        if (count < 0 || count > m) throw new IllegalArgumentException("asked for " + count + " of " + m + " vectors");
        double[][] out = new double[count][];
        int kept = 0;
        for (int j = 0; j < count; j++) {
            double[] v = java.util.Arrays.copyOfRange(vectors, j * d, (j + 1) * d);
            for (int pass = 0; pass < 2; pass++) {
                removeMemory(v, d, memory);
                for (int q = 0; q < kept; q++) {
                    double[] o = out[q];
                    double dot = 0;
                    for (int i = 0; i < d; i++) dot += v[i] * o[i];
                    for (int i = 0; i < d; i++) v[i] -= dot * o[i];
                }
            }
            double nrm = 0;
            for (double x : v) nrm += x * x;
            nrm = Math.sqrt(nrm);
            if (nrm < 0.5) continue;
            for (int i = 0; i < d; i++) v[i] /= nrm;
            out[kept++] = v;
        }
        float[] u = new float[d * kept];
        for (int j = 0; j < kept; j++) for (int i = 0; i < d; i++) u[i * kept + j] = (float) out[j][i];
        return u;
    }

    /** Fraction of the energy of R that P already spans. */
    public double alongFraction() {
        return total <= 0 ? 1 : along / total;
    }

    /** From the columns R (D, N) row-major, float. */
    public static ProjectedSpectrum ofColumns(float[] r, int d, int n, SubspaceMemory p) {
        if (n >= d) {
            float[] g = new float[d * d];
            Gemm.nt(d, d, n, r, 0, n, r, 0, n, g, 0, d, false);
            double[] gd = new double[d * d];
            for (int i = 0; i < gd.length; i++) gd[i] = g[i];
            return ofGram(gd, d, p);
        }
        double[] rh = new double[d * n];
        double total = 0;
        for (int i = 0; i < rh.length; i++) {
            rh[i] = r[i];
            total += rh[i] * rh[i];
        }
        removeMemoryFromColumns(rh, d, n, p);
        double rest = 0;
        for (double v : rh) rest += v * v;
        double[] mm = new double[n * n];    // R̂ᵀ R̂ (N, N)
        for (int i = 0; i < d; i++) {
            int ro = i * n;
            for (int a = 0; a < n; a++) {
                double x = rh[ro + a];
                if (x == 0) continue;
                int mo = a * n;
                for (int b = 0; b < n; b++) mm[mo + b] += x * rh[ro + b];
            }
        }
        SymmetricEigen.Result e = SymmetricEigen.decompose(Calibrator.symmetrize(mm, n), n);
        int m = numericalRank(e.values(), n, total);
        double[] u = new double[m * d];   // vector-major: u_j = R̂ w_j / √λ_j
        double[] w = new double[n];
        for (int j = 0; j < m; j++) {
            double s = 1 / Math.sqrt(e.values()[j]);
            for (int a = 0; a < n; a++) w[a] = e.vector(a, j);
            for (int i = 0; i < d; i++) {
                double acc = 0;
                for (int a = 0; a < n; a++) acc += rh[i * n + a] * w[a];
                u[j * d + i] = acc * s;
            }
        }
        return new ProjectedSpectrum(d, total, Math.max(0, total - rest), java.util.Arrays.copyOf(e.values(), m), u, m, p);
    }

    /** From the Gram G = R Rᵀ (D, D), double (any positive multiple of it: a mean over batches). */
    public static ProjectedSpectrum ofGram(double[] g, int d, SubspaceMemory p) {
        double total = 0;
        for (int i = 0; i < d; i++) total += g[i * d + i];
        double[] gh = g.clone();
        if (p != null && p.k() > 0) {
            int k = p.k();
            double[] pd = new double[d * k];
            for (int i = 0; i < pd.length; i++) pd[i] = p.p()[i];
            // A = G − P (Pᵀ G), then Ĝ = A − (A P) Pᵀ
            double[] t = new double[k * d];
            for (int i = 0; i < d; i++) for (int j = 0; j < k; j++) {
                double pij = pd[i * k + j];
                if (pij == 0) continue;
                for (int c = 0; c < d; c++) t[j * d + c] += pij * g[i * d + c];
            }
            for (int i = 0; i < d; i++) for (int j = 0; j < k; j++) {
                double pij = pd[i * k + j];
                for (int c = 0; c < d; c++) gh[i * d + c] -= pij * t[j * d + c];
            }
            double[] ap = new double[d * k];
            for (int i = 0; i < d; i++) for (int c = 0; c < d; c++) {
                double a = gh[i * d + c];
                if (a == 0) continue;
                for (int j = 0; j < k; j++) ap[i * k + j] += a * pd[c * k + j];
            }
            for (int i = 0; i < d; i++) for (int j = 0; j < k; j++) {
                double a = ap[i * k + j];
                for (int c = 0; c < d; c++) gh[i * d + c] -= a * pd[c * k + j];
            }
        }
        double rest = 0;
        for (int i = 0; i < d; i++) rest += gh[i * d + i];
        SymmetricEigen.Result e = SymmetricEigen.decompose(Calibrator.symmetrize(gh, d), d);
        int m = numericalRank(e.values(), d, total);
        double[] u = new double[m * d];
        for (int i = 0; i < d; i++) for (int j = 0; j < m; j++) u[j * d + i] = e.vector(i, j);
        return new ProjectedSpectrum(d, total, Math.max(0, total - rest), java.util.Arrays.copyOf(e.values(), m), u, m, p);
    }

    private static int numericalRank(double[] values, int n, double total) {
        int m = 0;
        while (m < n && values[m] > FLOOR * total) m++;
        return m;
    }

    /** v ← v − P (Pᵀ v). */
    static void removeMemory(double[] v, int d, SubspaceMemory p) {
        if (p == null || p.k() == 0) return;
        int k = p.k();
        float[] pp = p.p();
        for (int j = 0; j < k; j++) {
            double dot = 0;
            for (int i = 0; i < d; i++) dot += pp[i * k + j] * v[i];
            for (int i = 0; i < d; i++) v[i] -= dot * pp[i * k + j];
        }
    }

    /** R ← R − P (Pᵀ R), R (D, N) double. */
    private static void removeMemoryFromColumns(double[] r, int d, int n, SubspaceMemory p) {
        if (p == null || p.k() == 0) return;
        int k = p.k();
        float[] pp = p.p();
        double[] t = new double[k * n];
        for (int i = 0; i < d; i++) for (int j = 0; j < k; j++) {
            double pij = pp[i * k + j];
            for (int a = 0; a < n; a++) t[j * n + a] += pij * r[i * n + a];
        }
        for (int i = 0; i < d; i++) for (int j = 0; j < k; j++) {
            double pij = pp[i * k + j];
            for (int a = 0; a < n; a++) r[i * n + a] -= pij * t[j * n + a];
        }
    }
}
