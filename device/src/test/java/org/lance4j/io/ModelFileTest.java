package org.lance4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lance4j.graph.Model;
import org.lance4j.graph.ModelSpec;
import org.lance4j.graph.Param;
import org.lance4j.graph.SpecBuilder;

/**
 * Round trip, the golden version-1 file under test resources (it must keep loading), and refusal of
 * truncated, corrupt, unknown-version and mismatched files. Regenerate the golden file only when the
 * format version changes (then add a new one and keep the old):
 * {@code java -cp device/target/classes:device/target/test-classes org.lance4j.io.ModelFileTest OUT}.
 */
class ModelFileTest {
    static ModelSpec tiny() {
        SpecBuilder b = new SpecBuilder("tiny", 1, 6, 6);
        String x = b.relu("r", b.bn("bn", b.conv("conv", ModelSpec.INPUT, 4, 3, 1, 1, 1, false)));
        b.linear("fc", b.gap("gap", x), 3, true);
        return b.build();
    }

    static final Map<String, String> META = Map.of("data", "fmnist:train", "seed", "7", "test_accuracy", "0.5");

    public static void main(String[] args) throws IOException {
        ModelFile.write(Path.of(args[0]), Model.initialized(tiny(), 42), META);
    }

    @Test
    void roundTripKeepsEverything(@TempDir Path dir) throws IOException {
        Model m = Model.initialized(tiny(), 1);
        m.param("bn.running_var").value().set(2, 3.5f);
        Path f = dir.resolve("m.l4j");
        ModelFile.write(f, m, META);
        ModelFile.Contents c = ModelFile.read(f);
        assertEquals(m.spec(), c.model().spec());
        assertEquals(META, c.meta());
        assertArrayEquals(m.storage(), c.model().storage());
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary file left behind");
        }
    }

    @Test
    void goldenVersion1FileStillLoads() throws IOException {
        try (InputStream in = getClass().getResourceAsStream("/golden/model-v1.l4j")) {
            ModelFile.Contents c = ModelFile.read(in, "model-v1.l4j");
            assertEquals("tiny", c.model().spec().name());
            assertEquals(META, c.meta());
            // recorded when the file was written (not recomputed: the initializer may change, the file may not)
            float[] all = c.model().storage();
            double sum = 0;
            for (float v : all) sum += v;
            assertEquals(67, all.length);
            assertEquals(6.633066069800407, sum, 1e-12);
            assertEquals(0.16104326f, all[0]);
            Param w = c.model().param("conv.weight");
            assertEquals(36, w.value().size());
            assertEquals(1f, c.model().param("bn.running_var").value().get(0));
        }
    }

    private static byte[] valid() throws IOException {
        try (InputStream in = ModelFileTest.class.getResourceAsStream("/golden/model-v1.l4j")) {
            return in.readAllBytes();
        }
    }

    private static String refusal(Path dir, byte[] bytes) throws IOException {
        Path f = dir.resolve("bad.l4j");
        Files.write(f, bytes);
        return assertThrows(FileFormatException.class, () -> ModelFile.read(f)).getMessage();
    }

    @Test
    void damagedFilesAreRefusedWithTheReason(@TempDir Path dir) throws IOException {
        byte[] ok = valid();
        String m = refusal(dir, java.util.Arrays.copyOf(ok, ok.length - 30));
        assertTrue(m.contains("bad.l4j") && m.contains("truncated"), m);
        byte[] flipped = ok.clone();
        flipped[ok.length - 40] ^= 0x10;
        m = refusal(dir, flipped);
        assertTrue(m.contains("checksum"), m);
        byte[] v2 = ok.clone();
        ByteBuffer.wrap(v2).putInt(8, 2);
        m = refusal(dir, v2);
        assertTrue(m.contains("format 2") && m.contains("upgrade"), m);
        m = refusal(dir, "hello world, not a model".getBytes());
        assertTrue(m.contains("not a lance4j model file"), m);
        m = assertThrows(FileFormatException.class, () -> ModelFile.read(dir.resolve("missing.l4j"))).getMessage();
        assertTrue(m.contains("no such model file"), m);
        byte[] trailing = java.util.Arrays.copyOf(ok, ok.length + 1);
        m = refusal(dir, trailing);
        assertTrue(m.contains("trailing"), m);
    }

    @Test
    void tensorsThatDoNotFitTheArchitectureAreRefused(@TempDir Path dir) throws IOException {
        // an architecture edited after writing: conv out=5 instead of 4
        byte[] ok = valid();
        String s = new String(ok, java.nio.charset.StandardCharsets.ISO_8859_1);
        byte[] edited = s.replace("conv out=4", "conv out=5").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        String m = refusal(dir, edited);
        assertTrue(m.contains("conv.weight") && m.contains("architecture needs"), m);
    }

    @Test
    void aFailedWriteLeavesNothing(@TempDir Path dir) throws IOException {
        Path target = dir.resolve("sub");
        Files.writeString(target, "a file where a folder should be");
        assertThrows(IOException.class, () -> ModelFile.write(target.resolve("m.l4j"), Model.initialized(tiny(), 1), META));
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count());
        }
    }
}
