package org.lance4j.data;

import java.util.SplittableRandom;
import org.lance4j.tensor.Shape;

/**
 * Assembles normalized float batches (B, C, H, W) from a {@link Dataset}: seeded shuffling per epoch,
 * a constant batch size (the last partial batch is dropped, as LANCE's fixed batch-mode basis and
 * ASI require), optional random horizontal flip and pad-and-crop. The batch buffers are allocated
 * once; {@link #next()} allocates nothing.
 */
public final class BatchLoader {
    /** @param flip random horizontal flip; @param padCrop pad by this many pixels and crop back at random (0 = off) */
    public record Augment(boolean flip, int padCrop) {
        public static final Augment NONE = new Augment(false, 0);
    }

    private final Dataset data;
    private final Normalization norm;
    private final int batch;
    private final boolean shuffle;
    private final Augment aug;
    private final SplittableRandom rnd;
    private final int[] order;
    private final float[] images;   // (B, C, H, W)
    private final int[] labels;     // (B)
    private final Shape shape;
    private final float[] scale, shift; // per channel: x = pixel·scale + shift
    private int cursor;

    public BatchLoader(Dataset data, Normalization norm, int batch, boolean shuffle, Augment aug, long seed) {
        if (batch < 1) throw new IllegalArgumentException("--batch must be ≥ 1, got " + batch);
        if (data.size() < batch) {
            throw new IllegalArgumentException(data.name() + " has " + data.size() + " images, fewer than one batch of " + batch
                    + "; use a smaller --batch");
        }
        int c = data.itemShape().dim(0);
        if (norm.mean().length != c) {
            throw new IllegalArgumentException("normalization has " + norm.mean().length + " channels but " + data.name() + " has " + c);
        }
        this.data = data;
        this.norm = norm;
        this.batch = batch;
        this.shuffle = shuffle;
        this.aug = aug;
        this.rnd = new SplittableRandom(seed);
        this.order = new int[data.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        this.shape = data.itemShape().withBatchPrefix(batch);
        this.images = new float[shape.size()];
        this.labels = new int[batch];
        this.scale = new float[c];
        this.shift = new float[c];
        for (int ch = 0; ch < c; ch++) {
            scale[ch] = 1f / (255f * norm.std()[ch]);
            shift[ch] = -norm.mean()[ch] / norm.std()[ch];
        }
        startEpoch();
    }

    /** Batches per epoch (the last partial batch dropped). */
    public int batchesPerEpoch() {
        return data.size() / batch;
    }

    /** Reshuffles (when shuffling) and rewinds. */
    public void startEpoch() {
        cursor = 0;
        if (shuffle) shuffleInPlace(order, rnd);
    }

    public boolean hasNext() {
        return cursor + batch <= order.length;
    }

    /** Fills {@link #images()} and {@link #labels()} with the next batch. */
    public void next() {
        if (!hasNext()) throw new IllegalStateException("epoch finished; call startEpoch()");
        int c = data.itemShape().dim(0), h = data.itemShape().dim(1), w = data.itemShape().dim(2);
        int sz = c * h * w;
        byte[] px = data.pixels();
        for (int b = 0; b < batch; b++) {
            int i = order[cursor++];
            labels[b] = data.label(i);
            boolean flip = aug.flip() && rnd.nextBoolean();
            int dy = 0, dx = 0;
            if (aug.padCrop() > 0) {
                dy = rnd.nextInt(2 * aug.padCrop() + 1) - aug.padCrop();
                dx = rnd.nextInt(2 * aug.padCrop() + 1) - aug.padCrop();
            }
            for (int ch = 0; ch < c; ch++) {
                int src = i * sz + ch * h * w, dst = b * sz + ch * h * w;
                float sc = scale[ch], sh = shift[ch];
                for (int y = 0; y < h; y++) {
                    int sy = y + dy;
                    for (int x = 0; x < w; x++) {
                        int sx = (flip ? w - 1 - x : x) + dx;
                        // pad-and-crop pads with zeros in pixel space, i.e. black, as torchvision's RandomCrop(padding)
                        int v = sy >= 0 && sy < h && sx >= 0 && sx < w ? px[src + sy * w + sx] & 0xFF : 0;
                        images[dst + y * w + x] = v * sc + sh;
                    }
                }
            }
        }
    }

    /** (B, C, H, W), valid until the next call to {@link #next()}. */
    public float[] images() {
        return images;
    }

    public int[] labels() {
        return labels;
    }

    public Shape batchShape() {
        return shape;
    }

    public Normalization normalization() {
        return norm;
    }

    /**
     * Normalizes items [from, from + count) of a dataset, in order and without augmentation, into dst
     * at dstOff, (count, C, H, W) — for evaluation, which must see every item.
     */
    public static void fill(Dataset d, Normalization norm, int from, int count, float[] dst, int dstOff, int[] labels) {
        int c = d.itemShape().dim(0), hw = d.itemShape().dim(1) * d.itemShape().dim(2);
        byte[] px = d.pixels();
        for (int b = 0; b < count; b++) {
            int i = from + b;
            labels[b] = d.label(i);
            for (int ch = 0; ch < c; ch++) {
                float sc = 1f / (255f * norm.std()[ch]), sh = -norm.mean()[ch] / norm.std()[ch];
                int src = (i * c + ch) * hw, o = dstOff + (b * c + ch) * hw;
                for (int q = 0; q < hw; q++) dst[o + q] = (px[src + q] & 0xFF) * sc + sh;
            }
        }
    }

    static int[] permutation(int n, SplittableRandom r) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        shuffleInPlace(p, r);
        return p;
    }

    private static void shuffleInPlace(int[] a, SplittableRandom r) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }
}
