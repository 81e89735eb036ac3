package org.lance4j.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Mean softmax cross-entropy over a batch, forward and backward fused, PyTorch's
 * {@code CrossEntropyLoss()} semantics. logits (B, N), labels (B), dlogits (B, N) = (softmax − onehot)/B.
 *
 * <p>The vector path vectorizes the max, the normalization and the gradient; exp stays scalar because
 * {@code VectorOperators.EXP} is not intrinsified on aarch64 in JDK 17 (a per-lane fallback that
 * allocates), and N is the class count, small next to every other kernel.
 */
public final class SoftmaxCrossEntropy {
    private static final VectorSpecies<Float> S = Vec.F;

    private SoftmaxCrossEntropy() { }

    /** @return the mean loss; writes dlogits (overwrites) unless it is null. */
    public static double forwardBackward(float[] logits, int off, int b, int n, int[] labels, int labOff,
                                         float[] dlogits, int dOff) {
        return Vec.ENABLED ? vector(logits, off, b, n, labels, labOff, dlogits, dOff)
                : scalar(logits, off, b, n, labels, labOff, dlogits, dOff);
    }

    public static double scalar(float[] logits, int off, int b, int n, int[] labels, int labOff, float[] dlogits, int dOff) {
        double loss = 0;
        float invB = 1f / b;
        for (int r = 0; r < b; r++) {
            int row = off + r * n;
            int y = checkLabel(labels[labOff + r], n, r);
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < n; j++) max = Math.max(max, logits[row + j]);
            float sum = 0f;
            for (int j = 0; j < n; j++) sum += (float) Math.exp(logits[row + j] - max);
            float logZ = max + (float) Math.log(sum);
            loss += logZ - logits[row + y];
            if (dlogits != null) {
                int drow = dOff + r * n;
                for (int j = 0; j < n; j++) dlogits[drow + j] = (float) Math.exp(logits[row + j] - logZ) * invB;
                dlogits[drow + y] -= invB;
            }
        }
        return loss / b;
    }

    static double vector(float[] logits, int off, int b, int n, int[] labels, int labOff, float[] dlogits, int dOff) {
        final int l = S.length();
        final int nv = n - n % l;
        double loss = 0;
        float invB = 1f / b;
        for (int r = 0; r < b; r++) {
            int row = off + r * n;
            int y = checkLabel(labels[labOff + r], n, r);
            float max = Float.NEGATIVE_INFINITY;
            int j = 0;
            if (nv > 0) {
                FloatVector m = FloatVector.fromArray(S, logits, row);
                for (j = l; j < nv; j += l) m = m.max(FloatVector.fromArray(S, logits, row + j));
                max = m.reduceLanes(VectorOperators.MAX);
            }
            for (; j < n; j++) max = Math.max(max, logits[row + j]);
            float sum = 0f;
            for (j = 0; j < n; j++) sum += (float) Math.exp(logits[row + j] - max);
            float logZ = max + (float) Math.log(sum);
            loss += logZ - logits[row + y];
            if (dlogits != null) {
                int drow = dOff + r * n;
                for (j = 0; j < n; j++) dlogits[drow + j] = (float) Math.exp(logits[row + j] - logZ);
                Elementwise.scale(dlogits, drow, n, invB);
                dlogits[drow + y] -= invB;
            }
        }
        return loss / b;
    }

    private static int checkLabel(int y, int n, int row) {
        if (y < 0 || y >= n) {
            throw new IllegalArgumentException("label " + y + " of batch row " + row + " is outside the " + n + " classes of the head");
        }
        return y;
    }
}
