package org.lance4j.calib;

import org.lance4j.kernel.Gemm;
import org.lance4j.tensor.Tensor;

/**
 * Statistics of one layer's input in the continual-learning layout, accumulated batch by batch while the
 * model runs forward: the Gram of the input mode (D, D) — or, when all batches together bring fewer
 * columns than D, the columns themselves (D, N), for {@link ProjectedSpectrum#ofColumns}'s thin route —
 * and optionally the Grams of the position mode L (L, L) and of the batch mode (B, B).
 *
 * <p>Images are unfolded a chunk at a time into (D, chunk·L) so that the input-mode Gram is one GEMM with
 * a long inner dimension per chunk (not one short product per image), and no batch-sized unfolding is
 * ever held: a 180 × 784 layer seen by 125 images would need 70 MB at once.
 */
final class InputStatistics {
    /** Floats of the unfolded chunk: at most this many (and at least one image). */
    static final int CHUNK_FLOATS = 1 << 22;

    final LayerInput in;
    final int batch;
    private final int chunk;
    private final float[] unf, gD, gL, gB, item;   // (D, chunk·L), (D, D), (L, L), (B, B), one item's columns (D, L)
    final double[] sD, sL, sB;
    final float[] cols;                                 // (D, N) when N < D, else null
    private int filled, batches;

    InputStatistics(LayerInput in, int batch, int batches, boolean positions, boolean batchMode) {
        this.in = in;
        this.batch = batch;
        int d = in.d(), l = in.l();
        chunk = (int) Math.max(1, Math.min(batch, CHUNK_FLOATS / ((long) d * l)));
        long n = (long) batches * batch * l;
        item = new float[d * l];
        if (n < d) {
            cols = new float[(int) (d * n)];
            unf = null;
            gD = null;
            sD = null;
        } else {
            cols = null;
            unf = new float[d * chunk * l];
            gD = new float[d * d];
            sD = new double[d * d];
        }
        gL = positions && in.conv() ? new float[l * l] : null;
        sL = gL != null ? new double[l * l] : null;
        gB = batchMode ? new float[batch * batch] : null;
        sB = gB != null ? new double[batch * batch] : null;
    }

    int columns() {
        return cols.length / in.d();
    }

    int batches() {
        return batches;
    }

    /** Adds one batch x (B, item). */
    void add(Tensor x) {
        int d = in.d(), l = in.l(), isz = in.itemSize();
        if (gL != null) java.util.Arrays.fill(gL, 0f);
        if (gD != null) java.util.Arrays.fill(gD, 0f);
        for (int b0 = 0; b0 < batch; b0 += chunk) {
            int cn = Math.min(chunk, batch - b0), w = cn * l;
            for (int j = 0; j < cn; j++) {
                in.columns(x.data, x.offset, b0 + j, item, 0);
                if (gL != null) Gemm.tn(l, l, d, item, 0, l, item, 0, l, gL, 0, l, true);   // Σ_b col_bᵀ col_b
                if (cols != null) {
                    int n = columns();
                    for (int r = 0; r < d; r++) System.arraycopy(item, r * l, cols, r * n + filled, l);
                    filled += l;
                } else {
                    for (int r = 0; r < d; r++) System.arraycopy(item, r * l, unf, r * w + j * l, l);
                }
            }
            if (gD != null) Gemm.nt(d, d, w, unf, 0, w, unf, 0, w, gD, 0, d, true);
        }
        if (gB != null) {   // the batch mode: the item vectors' Gram, (B, B)
            java.util.Arrays.fill(gB, 0f);
            Gemm.nt(batch, batch, isz, x.data, x.offset, isz, x.data, x.offset, isz, gB, 0, batch, false);
        }
        addTo(sD, gD);
        addTo(sL, gL);
        addTo(sB, gB);
        batches++;
    }

    private static void addTo(double[] s, float[] g) {
        if (s == null) return;
        for (int i = 0; i < s.length; i++) s[i] += g[i];
    }

    /** The spectrum of the input mode off the memory p. */
    ProjectedSpectrum inputSpectrum(org.lance4j.compress.SubspaceMemory p) {
        if (cols != null) return ProjectedSpectrum.ofColumns(cols, in.d(), columns(), p);
        return ProjectedSpectrum.ofGram(mean(sD), in.d(), p);
    }

    /** Σ / batches, symmetrized (float accumulation leaves it a hair off). */
    double[] mean(double[] sum) {
        double[] m = new double[sum.length];
        for (int i = 0; i < m.length; i++) m[i] = sum[i] / Math.max(1, batches);
        return Calibrator.symmetrize(m, (int) Math.round(Math.sqrt(m.length)));
    }
}
