package org.lance4j.train;

/**
 * SGD settings, validated. Defaults are the LANCE paper's fine-tuning recipe: lr 0.05, momentum 0.9,
 * weight decay 1e-4, cosine decay to 0.01·lr, global-norm clipping at 2.0.
 *
 * @param lr            initial learning rate (η₀)
 * @param momentum      μ ∈ [0, 1)
 * @param weightDecay   L2 added to the gradient, PyTorch style
 * @param nesterov      Nesterov momentum
 * @param clipNorm      global gradient-norm limit; 0 disables clipping
 * @param scheduleSteps cosine period T in scheduler ticks (epochs or steps, as the caller ticks); 0 = constant lr
 * @param minLrFraction η_min / η₀ at the end of the cosine
 */
public record SgdConfig(float lr, float momentum, float weightDecay, boolean nesterov, float clipNorm, int scheduleSteps,
                        float minLrFraction) {
    public SgdConfig {
        if (!(lr > 0f)) throw new IllegalArgumentException("--lr must be positive, got " + lr);
        if (!(momentum >= 0f && momentum < 1f)) throw new IllegalArgumentException("momentum must be in [0, 1), got " + momentum);
        if (!(weightDecay >= 0f)) throw new IllegalArgumentException("weight decay must be ≥ 0, got " + weightDecay);
        if (nesterov && momentum == 0f) throw new IllegalArgumentException("Nesterov momentum needs momentum > 0");
        if (!(clipNorm >= 0f)) throw new IllegalArgumentException("clip norm must be ≥ 0 (0 disables), got " + clipNorm);
        if (scheduleSteps < 0) throw new IllegalArgumentException("schedule length must be ≥ 0, got " + scheduleSteps);
        if (!(minLrFraction >= 0f && minLrFraction <= 1f)) {
            throw new IllegalArgumentException("minimum lr fraction must be in [0, 1], got " + minLrFraction);
        }
    }

    /** The paper's fine-tuning recipe with a cosine period of {@code epochs} ticks. */
    public static SgdConfig paperFineTuning(int epochs) {
        return new SgdConfig(0.05f, 0.9f, 1e-4f, false, 2.0f, epochs, 0.01f);
    }

    /** η at scheduler tick t: η_min + (η₀ − η_min)·(1 + cos(π·t/T))/2, PyTorch's CosineAnnealingLR. */
    public float lrAt(int t) {
        if (scheduleSteps == 0) return lr;
        double min = lr * (double) minLrFraction;
        int tt = Math.min(t, scheduleSteps);
        return (float) (min + (lr - min) * (1 + Math.cos(Math.PI * tt / scheduleSteps)) / 2);
    }
}
