package org.lance4j.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import org.lance4j.tensor.Shape;

/**
 * IDX files (MNIST, Fashion-MNIST), raw or gzip-compressed (detected by the gzip magic): images
 * {@code 0x00000803} (N, H, W) uint8, labels {@code 0x00000801} (N) uint8.
 */
public final class IdxReader {
    static final int IMAGES_MAGIC = 0x00000803;
    static final int LABELS_MAGIC = 0x00000801;

    private IdxReader() { }

    /** Reads an image file and a label file into a dataset of (1, H, W) images. */
    public static Dataset read(Path images, Path labels, String name) {
        byte[] lab;
        int n;
        try (DataInputStream in = open(labels)) {
            int magic = in.readInt();
            if (magic != LABELS_MAGIC) {
                throw new DataFormatException(labels + ": not an IDX label file (magic 0x" + Integer.toHexString(magic)
                        + ", expected 0x00000801); check the file order: images first, then labels");
            }
            n = in.readInt();
            if (n < 0) throw new DataFormatException(labels + ": negative item count " + n);
            lab = new byte[n];
            in.readFully(lab);
        } catch (EOFException e) {
            throw new DataFormatException(labels + ": truncated (fewer labels than its header says); re-download or re-install the file", e);
        } catch (IOException e) {
            throw io(labels, e);
        }
        byte[] px;
        int h, w;
        try (DataInputStream in = open(images)) {
            int magic = in.readInt();
            if (magic != IMAGES_MAGIC) {
                throw new DataFormatException(images + ": not an IDX image file (magic 0x" + Integer.toHexString(magic)
                        + ", expected 0x00000803)");
            }
            int m = in.readInt();
            h = in.readInt();
            w = in.readInt();
            if (m != n) {
                throw new DataFormatException(images + " holds " + m + " images but " + labels + " holds " + n
                        + " labels; pair the matching files (train with train, t10k with t10k)");
            }
            if (h <= 0 || w <= 0 || (long) m * h * w > Integer.MAX_VALUE) {
                throw new DataFormatException(images + ": implausible image size " + m + "×" + h + "×" + w);
            }
            px = new byte[m * h * w];
            in.readFully(px);
        } catch (EOFException e) {
            throw new DataFormatException(images + ": truncated (fewer pixels than its header says); re-download or re-install the file", e);
        } catch (IOException e) {
            throw io(images, e);
        }
        int[] y = new int[n];
        int classes = 0;
        for (int i = 0; i < n; i++) {
            y[i] = lab[i] & 0xFF;
            classes = Math.max(classes, y[i] + 1);
        }
        return new Dataset(name, Shape.of(1, h, w), px, y, Math.max(classes, 10));
    }

    static DataInputStream open(Path p) throws IOException {
        if (!Files.isRegularFile(p)) throw new NoSuchFileException(p.toString());
        InputStream raw = new BufferedInputStream(Files.newInputStream(p), 1 << 16);
        raw.mark(2);
        int b0 = raw.read(), b1 = raw.read();
        raw.reset();
        InputStream in = b0 == 0x1f && b1 == 0x8b ? new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16) : raw;
        return new DataInputStream(in);
    }

    static DataFormatException io(Path p, IOException e) {
        if (e instanceof NoSuchFileException) return new DataFormatException(p + ": no such file", e);
        return new DataFormatException(p + ": cannot be read (" + e.getMessage() + ")", e);
    }
}
