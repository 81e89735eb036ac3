package org.lance4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lance4j.compress.ConvBasis;
import org.lance4j.compress.LanceConvTest;
import org.lance4j.compress.SubspaceMemory;
import org.lance4j.graph.Model;

/**
 * Round trip (tensor and unfolded layouts, continual-learning memories kept or skipped), the golden
 * version-1 and version-2 basis files (they must keep loading), refusal of a basis made for another model
 * or batch size, and of damaged files. The golden files pair with the golden model file (model-v1.l4j);
 * write a new one only on a format change, keeping the old ones:
 * {@code java -cp device/target/classes:device/target/test-classes org.lance4j.io.BasisFileTest src/test/resources/golden/basis-v2.l4jb}.
 */
class BasisFileTest {
    static Map<String, ConvBasis> bases(long seed, boolean batch) {
        SplittableRandom r = new SplittableRandom(seed);
        Map<String, ConvBasis> m = new LinkedHashMap<>();
        m.put("conv", new ConvBasis(4, 1, 6, 6, batch ? LanceConvTest.orthonormal(4, 2, r) : null, batch ? 2 : 0,
                LanceConvTest.orthonormal(1, 1, r), 1, LanceConvTest.orthonormal(6, 3, r), 3, LanceConvTest.orthonormal(6, 2, r), 2));
        return m;
    }

    static final Map<String, String> SETTINGS = Map.of("energy", "0.7", "batches", "100", "batch", "4", "project_batch", "1");

    static Model goldenModel() throws IOException {
        try (InputStream in = BasisFileTest.class.getResourceAsStream("/golden/model-v1.l4j")) {
            return ModelFile.read(in, "model-v1.l4j").model();
        }
    }

    /** Bases of both layouts and a memory: what a continual-learning task's basis file holds. */
    static Map<String, ConvBasis> clBases(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Map<String, ConvBasis> m = bases(seed, false);
        m.put("conv_cl", new ConvBasis(4, 9, 16, 1, null, 0, LanceConvTest.orthonormal(9, 4, r), 4, LanceConvTest.orthonormal(16, 5, r), 5,
                new float[] {1}, 1, true));
        return m;
    }

    static Map<String, SubspaceMemory> memory(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Map<String, SubspaceMemory> m = new LinkedHashMap<>();
        m.put("conv", new SubspaceMemory(9, 3, LanceConvTest.orthonormal(9, 3, r)));
        m.put("fc", SubspaceMemory.empty(36));
        return m;
    }

    public static void main(String[] args) throws IOException {
        Path out = Path.of(args[0]);
        Model m = ModelFile.read(out.resolveSibling("model-v1.l4j")).model();
        BasisFile.write(out, m, SETTINGS, clBases(5), memory(6));
    }

    @Test
    void roundTrip(@TempDir Path d) throws IOException {
        Model m = goldenModel();
        for (boolean batch : new boolean[] {true, false}) {
            Path f = d.resolve("b" + batch + ".l4jb");
            Map<String, ConvBasis> b = bases(1, batch);
            BasisFile.write(f, m, SETTINGS, b);
            BasisFile.Contents c = BasisFile.read(f);
            assertEquals(SETTINGS, c.settings());
            ConvBasis x = b.get("conv"), y = c.layers().get("conv");
            assertArrayEquals(x.uC(), y.uC());
            assertArrayEquals(x.uH(), y.uH());
            assertArrayEquals(x.uW(), y.uW());
            if (batch) assertArrayEquals(x.uB(), y.uB());
            else assertNull(y.uB());
            assertEquals(x.coreSize(), y.coreSize());
            c.checkFor(m, 4, f.toString());
        }
    }

    @Test
    void roundTripWithUnfoldedLayersAndMemories(@TempDir Path d) throws IOException {
        Model m = goldenModel();
        Path f = d.resolve("cl.l4jb");
        BasisFile.write(f, m, SETTINGS, clBases(3), memory(4));
        BasisFile.Contents c = BasisFile.read(f);
        ConvBasis x = clBases(3).get("conv_cl"), y = c.layers().get("conv_cl");
        assertTrue(y.unfolded());
        assertTrue(!c.layers().get("conv").unfolded());
        assertArrayEquals(x.uC(), y.uC());
        assertArrayEquals(x.uH(), y.uH());
        assertArrayEquals(memory(4).get("conv").p(), c.memory().get("conv").p());
        assertEquals(0, c.memory().get("fc").k());
        assertEquals(4L * 9 * 3, c.memoryBytes());
        BasisFile.Contents device = BasisFile.read(f, false);
        assertTrue(device.memory().isEmpty(), "the device does not hold the memories");
        assertEquals(4L * 9 * 3, device.memoryBytes());
        assertArrayEquals(x.uC(), device.layers().get("conv_cl").uC());
        byte[] bad = Files.readAllBytes(f);
        bad[bad.length - 30] ^= 1;   // inside the first memory's floats: a skipped memory is still verified
        Files.write(f, bad);
        assertTrue(assertThrows(FileFormatException.class, () -> BasisFile.read(f, false)).getMessage().contains("checksum"));
    }

    @Test
    void goldenVersion2FileStillLoads() throws IOException {
        try (InputStream in = getClass().getResourceAsStream("/golden/basis-v2.l4jb")) {
            BasisFile.Contents c = BasisFile.read(in, "basis-v2.l4jb");
            assertEquals(SETTINGS, c.settings());
            assertTrue(c.layers().get("conv_cl").unfolded());
            assertEquals(5, c.layers().get("conv_cl").rH());
            assertEquals(3, c.memory().get("conv").k());
            assertArrayEquals(memory(6).get("conv").p(), c.memory().get("conv").p(), "recorded when the file was written");
            c.checkFor(goldenModel(), 4, "basis-v2.l4jb");
        }
    }

    @Test
    void goldenVersion1FileStillLoadsAndFitsItsModel() throws IOException {
        try (InputStream in = getClass().getResourceAsStream("/golden/basis-v1.l4jb")) {
            BasisFile.Contents c = BasisFile.read(in, "basis-v1.l4jb");
            assertEquals(SETTINGS, c.settings());
            ConvBasis b = c.layers().get("conv");
            assertEquals(2, b.rB());
            assertEquals(3, b.rH());
            assertEquals(2 * 1 * 3 * 2, b.coreSize());
            assertEquals(-0.4390189f, b.uH()[0], 0f, "recorded when the file was written");
            c.checkFor(goldenModel(), 4, "basis-v1.l4jb");
        }
    }

    @Test
    void anotherModelOrBatchSizeIsRefused(@TempDir Path d) throws IOException {
        Model m = goldenModel();
        Path f = d.resolve("b.l4jb");
        BasisFile.write(f, m, SETTINGS, bases(1, true));
        BasisFile.Contents c = BasisFile.read(f);
        String msg = assertThrows(FileFormatException.class, () -> c.checkFor(m, 8, "b.l4jb")).getMessage();
        assertTrue(msg.contains("batch size 4") && msg.contains("--batch"), msg);
        m.param("fc.bias").value().set(0, 42f);
        msg = assertThrows(FileFormatException.class, () -> c.checkFor(m, 4, "b.l4jb")).getMessage();
        assertTrue(msg.contains("another model") && msg.contains("calibrate"), msg);
    }

    @Test
    void damagedFilesAreRefused(@TempDir Path d) throws IOException {
        byte[] ok;
        try (InputStream in = getClass().getResourceAsStream("/golden/basis-v1.l4jb")) {
            ok = in.readAllBytes();
        }
        Path f = d.resolve("x.l4jb");
        Files.write(f, java.util.Arrays.copyOf(ok, ok.length - 9));
        assertTrue(assertThrows(FileFormatException.class, () -> BasisFile.read(f)).getMessage().contains("truncated"));
        byte[] bad = ok.clone();
        bad[ok.length - 20] ^= 1;
        Files.write(f, bad);
        assertTrue(assertThrows(FileFormatException.class, () -> BasisFile.read(f)).getMessage().contains("checksum"));
        byte[] v2 = ok.clone();
        ByteBuffer.wrap(v2).putInt(8, 3);
        Files.write(f, v2);
        assertTrue(assertThrows(FileFormatException.class, () -> BasisFile.read(f)).getMessage().contains("format 3"));
        try (InputStream in = getClass().getResourceAsStream("/golden/model-v1.l4j")) {
            Files.write(f, in.readAllBytes());
        }
        assertTrue(assertThrows(FileFormatException.class, () -> BasisFile.read(f)).getMessage().contains("not a lance4j basis file"));
        assertTrue(assertThrows(FileFormatException.class, () -> BasisFile.read(d.resolve("none"))).getMessage().contains("no such basis file"));
    }
}
