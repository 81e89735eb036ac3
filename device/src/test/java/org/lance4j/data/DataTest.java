package org.lance4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lance4j.tensor.Shape;

/** IDX (raw and gzip) and CIFAR readers on generated files; class subsets, reshaping, batches. */
class DataTest {
    /** n images of h×w whose pixel (i, y, x) = (i·7 + y·3 + x) mod 256, label i mod classes. */
    static void writeIdx(Path images, Path labels, int n, int h, int w, int classes, boolean gzip, int imageCount) throws IOException {
        ByteArrayOutputStream bi = new ByteArrayOutputStream();
        DataOutputStream di = new DataOutputStream(bi);
        di.writeInt(IdxReader.IMAGES_MAGIC);
        di.writeInt(imageCount);
        di.writeInt(h);
        di.writeInt(w);
        for (int i = 0; i < imageCount; i++) for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) di.write((i * 7 + y * 3 + x) & 0xFF);
        ByteArrayOutputStream bl = new ByteArrayOutputStream();
        DataOutputStream dl = new DataOutputStream(bl);
        dl.writeInt(IdxReader.LABELS_MAGIC);
        dl.writeInt(n);
        for (int i = 0; i < n; i++) dl.write(i % classes);
        write(images, bi.toByteArray(), gzip);
        write(labels, bl.toByteArray(), gzip);
    }

    static void write(Path p, byte[] b, boolean gzip) throws IOException {
        try (OutputStream o = gzip ? new GZIPOutputStream(Files.newOutputStream(p)) : Files.newOutputStream(p)) {
            o.write(b);
        }
    }

    @Test
    void idxRawAndGzipReadTheSame(@TempDir Path d) throws IOException {
        writeIdx(d.resolve("i"), d.resolve("l"), 12, 5, 4, 10, false, 12);
        writeIdx(d.resolve("i.gz"), d.resolve("l.gz"), 12, 5, 4, 10, true, 12);
        Dataset a = IdxReader.read(d.resolve("i"), d.resolve("l"), "raw");
        Dataset b = IdxReader.read(d.resolve("i.gz"), d.resolve("l.gz"), "gz");
        IdxWriter.write(a, d.resolve("w.gz"), d.resolve("wl"));
        Dataset c = IdxReader.read(d.resolve("w.gz"), d.resolve("wl"), "written");
        assertEquals(a.size(), c.size());
        for (int i = 0; i < 12; i++) assertEquals(a.label(i), c.label(i));
        assertEquals(Shape.of(1, 5, 4), a.itemShape());
        assertEquals(12, a.size());
        assertEquals(10, a.classes());
        for (int i = 0; i < 12; i++) {
            assertEquals(i % 10, a.label(i));
            for (int j = 0; j < 20; j++) {
                assertEquals(a.pixel(i, j), b.pixel(i, j));
                assertEquals(a.pixel(i, j), c.pixel(i, j));
                assertEquals((i * 7 + (j / 4) * 3 + j % 4) & 0xFF, a.pixel(i, j));
            }
        }
    }

    @Test
    void idxErrorsNameTheFileAndTheFix(@TempDir Path d) throws IOException {
        writeIdx(d.resolve("i"), d.resolve("l"), 12, 5, 4, 10, false, 12);
        String m = assertThrows(DataFormatException.class, () -> IdxReader.read(d.resolve("l"), d.resolve("i"), "x")).getMessage();
        assertTrue(m.contains("not an IDX label file") && m.contains("order"), m);
        writeIdx(d.resolve("i2"), d.resolve("l2"), 12, 5, 4, 10, false, 11);
        m = assertThrows(DataFormatException.class, () -> IdxReader.read(d.resolve("i2"), d.resolve("l2"), "x")).getMessage();
        assertTrue(m.contains("11 images") && m.contains("12 labels"), m);
        byte[] full = Files.readAllBytes(d.resolve("i"));
        Files.write(d.resolve("i3"), java.util.Arrays.copyOf(full, full.length - 7));
        m = assertThrows(DataFormatException.class, () -> IdxReader.read(d.resolve("i3"), d.resolve("l"), "x")).getMessage();
        assertTrue(m.contains("i3") && m.contains("truncated"), m);
        m = assertThrows(DataFormatException.class, () -> IdxReader.read(d.resolve("nope"), d.resolve("l"), "x")).getMessage();
        assertTrue(m.contains("nope") && m.contains("no such file"), m);
    }

    @Test
    void cifarTenAndHundred(@TempDir Path d) throws IOException {
        for (int f = 1; f <= 5; f++) cifarFile(d.resolve("data_batch_" + f + ".bin"), 3, 1, f);
        cifarFile(d.resolve("test_batch.bin"), 2, 1, 9);
        Dataset tr = CifarReader.cifar10(d, true), te = CifarReader.cifar10(d, false);
        assertEquals(15, tr.size());
        assertEquals(2, te.size());
        assertEquals(Shape.of(3, 32, 32), tr.itemShape());
        assertEquals(2, tr.label(3)); // file 2, record 0 → label (2 + 0) mod 10
        assertEquals((2 * 31 + 0 + 5) & 0xFF, tr.pixel(3, 5));
        Path c100 = d.resolve("c100");
        Files.createDirectories(c100);
        cifarFile(c100.resolve("train.bin"), 4, 2, 50);
        cifarFile(c100.resolve("test.bin"), 1, 2, 60);
        Dataset h = CifarReader.cifar100(c100, true);
        assertEquals(100, h.classes());
        assertEquals(53, h.label(3), "the fine label is used");
        Files.write(d.resolve("test_batch.bin"), new byte[3073 + 100]);
        String m = assertThrows(DataFormatException.class, () -> CifarReader.cifar10(d, false)).getMessage();
        assertTrue(m.contains("test_batch.bin") && m.contains("whole number"), m);
        m = assertThrows(DataFormatException.class, () -> CifarReader.cifar10(d.resolve("missing"), true)).getMessage();
        assertTrue(m.contains("no such folder"), m);
    }

    /** n records; label (base + r) mod 10 (coarse byte = 99 when labelBytes = 2); pixel j = (base·31 + r + j) mod 256. */
    static void cifarFile(Path p, int n, int labelBytes, int base) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int r = 0; r < n; r++) {
            if (labelBytes == 2) b.write(99 % 20);
            b.write(labelBytes == 2 ? base + r : (base + r) % 10);
            for (int j = 0; j < 3072; j++) b.write((base * 31 + r + j) & 0xFF);
        }
        Files.write(p, b.toByteArray());
    }

    static Dataset toy(int n, int classes) {
        byte[] px = new byte[n * 4];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % classes;
            for (int j = 0; j < 4; j++) px[i * 4 + j] = (byte) (i * 4 + j);
        }
        return new Dataset("toy", Shape.of(1, 2, 2), px, y, classes);
    }

    @Test
    void classSubsetsAreRelabelledFromZero() {
        Dataset d = toy(20, 10).classes(5, 9);
        assertEquals(10, d.size());
        assertEquals(5, d.classes());
        assertEquals(0, d.label(0));
        assertEquals(5 * 4, d.pixel(0, 0), "image 5 is the first of class 5");
        assertThrows(IllegalArgumentException.class, () -> toy(20, 10).classes(5, 10));
    }

    @Test
    void reshapingReplicatesGrayAndResizesOrPads() {
        Dataset g = toy(3, 2);
        Dataset rgb = g.reshaped(3, 2, Dataset.Fit.RESIZE);
        assertEquals(Shape.of(3, 2, 2), rgb.itemShape());
        for (int j = 0; j < 4; j++) {
            assertEquals(g.pixel(1, j), rgb.pixel(1, j));
            assertEquals(g.pixel(1, j), rgb.pixel(1, 8 + j));
        }
        Dataset pad = g.reshaped(1, 4, Dataset.Fit.PAD);
        assertEquals(0, pad.pixel(1, 0));
        assertEquals(g.pixel(1, 0), pad.pixel(1, 5));
        Dataset up = g.reshaped(1, 4, Dataset.Fit.RESIZE);
        assertEquals(g.pixel(2, 0), up.pixel(2, 0), "corners keep their value");
        assertEquals(g.pixel(2, 3), up.pixel(2, 15));
        assertThrows(IllegalArgumentException.class, () -> rgb.reshaped(1, 2, Dataset.Fit.RESIZE));
    }

    @Test
    void batchesAreConstantSeededAndNormalized() {
        Dataset d = toy(10, 2);
        Normalization n = new Normalization(new float[] {0.5f}, new float[] {0.25f});
        BatchLoader a = new BatchLoader(d, n, 4, true, BatchLoader.Augment.NONE, 3);
        BatchLoader b = new BatchLoader(d, n, 4, true, BatchLoader.Augment.NONE, 3);
        assertEquals(2, a.batchesPerEpoch(), "the last partial batch is dropped");
        int batches = 0;
        while (a.hasNext()) {
            a.next();
            b.next();
            assertArrayEquals(a.images(), b.images());
            assertArrayEquals(a.labels(), b.labels());
            batches++;
        }
        assertEquals(2, batches);
        BatchLoader plain = new BatchLoader(d, n, 5, false, BatchLoader.Augment.NONE, 1);
        plain.next();
        assertEquals((1 / 255f - 0.5f) / 0.25f, plain.images()[1], 1e-6);
        BatchLoader other = new BatchLoader(d, n, 4, true, BatchLoader.Augment.NONE, 4);
        a.startEpoch();
        a.next();
        other.next();
        assertNotEquals(java.util.Arrays.toString(a.labels()) + java.util.Arrays.toString(a.images()),
                java.util.Arrays.toString(other.labels()) + java.util.Arrays.toString(other.images()), "another seed, another order");
        assertThrows(IllegalArgumentException.class, () -> new BatchLoader(d, n, 11, true, BatchLoader.Augment.NONE, 1));
    }

    @Test
    void flipAndCropMoveButKeepPixels() {
        Dataset d = toy(1, 2);
        Normalization n = new Normalization(new float[] {0f}, new float[] {1f / 255f}); // x = pixel value
        BatchLoader flip = new BatchLoader(d, n, 1, false, new BatchLoader.Augment(true, 0), 1);
        boolean sawFlip = false, sawPlain = false;
        for (int t = 0; t < 20; t++) {
            flip.startEpoch();
            flip.next();
            float[] x = flip.images();
            if (x[0] == 1f && x[1] == 0f) sawFlip = true;
            if (x[0] == 0f && x[1] == 1f) sawPlain = true;
        }
        assertTrue(sawFlip && sawPlain, "both orientations occur");
        BatchLoader crop = new BatchLoader(d, n, 1, false, new BatchLoader.Augment(false, 1), 1);
        for (int t = 0; t < 20; t++) {
            crop.startEpoch();
            crop.next();
            for (float v : crop.images()) assertTrue(v == 0f || v == 1f || v == 2f || v == 3f, "only original pixels or zero padding");
        }
    }
}
