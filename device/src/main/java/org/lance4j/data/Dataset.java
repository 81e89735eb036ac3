package org.lance4j.data;

import java.util.Arrays;
import org.lance4j.tensor.Shape;

/**
 * Labelled images held compactly as uint8, (N, C, H, W), with labels 0..classes−1. Normalization and
 * augmentation happen when a batch is assembled ({@link BatchLoader}), so Fashion-MNIST takes 47 MB,
 * not 188. Immutable; the transforms return new datasets.
 */
public final class Dataset {
    private final String name;
    private final Shape item;     // (C, H, W)
    private final byte[] pixels;  // (N, C, H, W) uint8
    private final int[] labels;   // (N)
    private final int classes;

    public Dataset(String name, Shape item, byte[] pixels, int[] labels, int classes) {
        if (item.rank() != 3) throw new IllegalArgumentException("dataset items must be (C, H, W), got " + item);
        if ((long) labels.length * item.size() != pixels.length) {
            throw new DataFormatException(name + ": " + labels.length + " labels but " + pixels.length / Math.max(1, item.size())
                    + " images of " + item);
        }
        for (int l : labels) {
            if (l < 0 || l >= classes) throw new DataFormatException(name + ": label " + l + " is outside 0.." + (classes - 1));
        }
        this.name = name;
        this.item = item;
        this.pixels = pixels;
        this.labels = labels;
        this.classes = classes;
    }

    public String name() {
        return name;
    }

    public Shape itemShape() {
        return item;
    }

    public int size() {
        return labels.length;
    }

    public int classes() {
        return classes;
    }

    public int label(int i) {
        return labels[i];
    }

    /** Raw pixel (0..255) of image i at flat index j within the item. */
    public int pixel(int i, int j) {
        return pixels[i * item.size() + j] & 0xFF;
    }

    byte[] pixels() {
        return pixels;
    }

    /** Images whose label lies in [from, to], relabelled from 0 (e.g. classes=5-9 → 0..4). */
    public Dataset classes(int from, int to) {
        if (from < 0 || to >= classes || from > to) {
            throw new IllegalArgumentException("classes=" + from + "-" + to + " is not within 0-" + (classes - 1) + " of " + name);
        }
        int n = 0;
        for (int l : labels) if (l >= from && l <= to) n++;
        int sz = item.size();
        byte[] p = new byte[n * sz];
        int[] y = new int[n];
        int k = 0;
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < from || labels[i] > to) continue;
            System.arraycopy(pixels, i * sz, p, k * sz, sz);
            y[k++] = labels[i] - from;
        }
        return new Dataset(name + ":classes=" + from + "-" + to, item, p, y, to - from + 1);
    }

    /** Items [from, to) (splits and hold-outs). */
    public Dataset range(int from, int to, String suffix) {
        int sz = item.size();
        return new Dataset(name + suffix, item, Arrays.copyOfRange(pixels, from * sz, to * sz), Arrays.copyOfRange(labels, from, to), classes);
    }

    /** The same images in a seeded random order (so that a hold-out is a fair sample). */
    public Dataset shuffled(long seed) {
        int[] order = BatchLoader.permutation(size(), new java.util.SplittableRandom(seed));
        int sz = item.size();
        byte[] p = new byte[pixels.length];
        int[] y = new int[labels.length];
        for (int i = 0; i < order.length; i++) {
            System.arraycopy(pixels, order[i] * sz, p, i * sz, sz);
            y[i] = labels[order[i]];
        }
        return new Dataset(name, item, p, y, classes);
    }

    /** How an image is brought to another size. */
    public enum Fit { RESIZE, PAD }

    /**
     * Brings every image to (C', S, S): grayscale replicated to 3 channels when C' = 3, then bilinear
     * resize (or centred zero padding when {@code fit == PAD} and S ≥ H, W).
     */
    public Dataset reshaped(int channels, int size, Fit fit) {
        int c = item.dim(0), h = item.dim(1), w = item.dim(2);
        if (channels == c && size == h && size == w) return this;
        if (channels != c && !(c == 1 && channels == 3)) {
            throw new IllegalArgumentException(name + " has " + c + " channel(s); only grayscale → 3 channels is converted, not → " + channels);
        }
        if (fit == Fit.PAD && (size < h || size < w)) {
            throw new IllegalArgumentException("cannot pad " + h + "×" + w + " images of " + name + " to " + size + "; use resize");
        }
        int n = size(), outSz = channels * size * size;
        byte[] out = new byte[n * outSz];
        float[] plane = new float[size * size];
        for (int i = 0; i < n; i++) {
            for (int ch = 0; ch < channels; ch++) {
                int src = i * item.size() + (c == 1 ? 0 : ch) * h * w;
                if (fit == Fit.PAD) {
                    Arrays.fill(plane, 0f);
                    int oy = (size - h) / 2, ox = (size - w) / 2;
                    for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) plane[(y + oy) * size + x + ox] = pixels[src + y * w + x] & 0xFF;
                } else {
                    resizeBilinear(pixels, src, h, w, plane, size);
                }
                int dst = i * outSz + ch * size * size;
                for (int q = 0; q < plane.length; q++) out[dst + q] = (byte) Math.min(255, Math.max(0, Math.round(plane[q])));
            }
        }
        return new Dataset(name, Shape.of(channels, size, size), out, labels, classes);
    }

    /** Bilinear resize with half-pixel centres (PyTorch's align_corners=False). */
    static void resizeBilinear(byte[] src, int off, int h, int w, float[] dst, int s) {
        float sy = (float) h / s, sx = (float) w / s;
        for (int y = 0; y < s; y++) {
            float fy = Math.max(0f, (y + 0.5f) * sy - 0.5f);
            int y0 = Math.min((int) fy, h - 1), y1 = Math.min(y0 + 1, h - 1);
            float ay = fy - y0;
            for (int x = 0; x < s; x++) {
                float fx = Math.max(0f, (x + 0.5f) * sx - 0.5f);
                int x0 = Math.min((int) fx, w - 1), x1 = Math.min(x0 + 1, w - 1);
                float ax = fx - x0;
                float top = (src[off + y0 * w + x0] & 0xFF) * (1 - ax) + (src[off + y0 * w + x1] & 0xFF) * ax;
                float bot = (src[off + y1 * w + x0] & 0xFF) * (1 - ax) + (src[off + y1 * w + x1] & 0xFF) * ax;
                dst[y * s + x] = top * (1 - ay) + bot * ay;
            }
        }
    }

    /** Per-channel mean and standard deviation of pixel/255 over the whole set. */
    public Normalization statistics() {
        int c = item.dim(0), hw = item.dim(1) * item.dim(2);
        double[] s = new double[c], sq = new double[c];
        for (int i = 0; i < size(); i++) {
            for (int ch = 0; ch < c; ch++) {
                int o = i * item.size() + ch * hw;
                for (int q = 0; q < hw; q++) {
                    double v = (pixels[o + q] & 0xFF) / 255.0;
                    s[ch] += v;
                    sq[ch] += v * v;
                }
            }
        }
        float[] mean = new float[c], std = new float[c];
        double n = (double) size() * hw;
        for (int ch = 0; ch < c; ch++) {
            mean[ch] = (float) (s[ch] / n);
            std[ch] = (float) Math.sqrt(Math.max(1e-12, sq[ch] / n - mean[ch] * (double) mean[ch]));
        }
        return new Normalization(mean, std);
    }
}
