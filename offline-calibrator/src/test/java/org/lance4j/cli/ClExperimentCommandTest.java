package org.lance4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lance4j.io.BasisFile;

/**
 * {@code experiment cl} end to end on generated Split CIFAR-100 files (100 classes in the binary format:
 * coarse label, fine label, 3072 pixel bytes): every method, the JSON keys, the files, and LANCE-CL's
 * per-task basis file with P — which the device reads without holding P.
 */
class ClExperimentCommandTest {
    /** n images per class of 100 classes: noise plus a class-dependent bright band, CIFAR-100's binary layout. */
    static void cifar100(Path file, int perClass, long seed) throws IOException {
        SplittableRandom r = new SplittableRandom(seed);
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int i = 0; i < perClass; i++) {
            for (int c = 0; c < 100; c++) {
                b.write(c / 5);
                b.write(c);
                for (int ch = 0; ch < 3; ch++) {
                    for (int p = 0; p < 1024; p++) b.write(r.nextInt(100) + ((p / 32) % 10 == c % 10 ? 120 : 0));
                }
            }
        }
        Files.write(file, b.toByteArray());
    }

    @Test
    void splitCifar100RunsEveryMethodAndWritesItsFiles(@TempDir Path dir) throws Exception {
        Path data = Files.createDirectories(dir.resolve("cifar-100-binary"));
        cifar100(data.resolve("train.bin"), 3, 1);
        cifar100(data.resolve("test.bin"), 2, 2);
        Path out = dir.resolve("out");
        CommandsTest.Run r = CommandsTest.run("experiment", "cl", "--cifar100", data.toString(), "--models", "alexnet-cl", "--tasks", "2",
                "--batch", "6", "--train-images", "30", "--test-images", "20", "--epochs", "1", "--memory-samples", "12",
                "--calibration-batches", "2", "--threads", "2", "--out", out.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        Map<String, Object> j = JSON.std.mapFrom(r.out().strip());
        assertEquals(2, ((Number) j.get("tasks")).intValue());
        assertEquals(10, ((Number) j.get("classes_per_task")).intValue(), "CIFAR-100 splits into tasks of 10 classes");
        List<?> runs = (List<?>) j.get("runs");
        assertEquals(4, runs.size());
        for (Object o : runs) {
            Map<?, ?> m = (Map<?, ?>) o;
            double acc = ((Number) m.get("acc")).doubleValue();
            assertTrue(acc >= 0 && acc <= 1, m.toString());
            List<?> mat = (List<?>) m.get("accuracy_matrix");
            assertEquals(2, mat.size());
            if (m.get("method").equals("joint")) {
                assertNull(m.get("bwt"), "joint training has no BWT");
            } else {
                List<?> last = (List<?>) mat.get(1), first = (List<?>) mat.get(0);
                double bwt = ((Number) m.get("bwt")).doubleValue();
                assertEquals(((Number) last.get(0)).doubleValue() - ((Number) first.get(0)).doubleValue(), bwt, 1e-9, "BWT of two tasks");
                assertNull(first.get(1), "task 2 is not measured before it is trained");
            }
            long held = ((Number) m.get("memory_held_bytes")).longValue();
            if (m.get("method").equals("gpm")) assertTrue(held > 0, "GPM holds P while training");
            else assertEquals(0, held, m.get("method") + " holds no P");
            if (m.get("method").equals("lance-cl")) assertTrue(((Number) m.get("memory_bytes")).longValue() > 0, "LANCE-CL's P exists, offline");
        }
        assertTrue(Files.readString(out.resolve("results.md")).contains("Split CIFAR-100"));
        assertEquals(5, Files.readAllLines(out.resolve("results.csv")).size(), "header + 4 runs");
        for (String m : new String[] {"naive", "gpm", "lance-cl", "joint"}) {
            ExperimentCommandsTest.assertPng(out.resolve("accuracy-alexnet-cl-" + m + ".png"));
            assertEquals(3, Files.readAllLines(out.resolve("accuracy-alexnet-cl-" + m + ".csv")).size());
        }
        Path basis = out.resolve("bases/alexnet-cl-task2.l4jb");
        BasisFile.Contents full = BasisFile.read(basis), device = BasisFile.read(basis, false);
        assertTrue(full.layers().get("conv1").unfolded(), "convolutions get unfolded bases");
        assertEquals(3 * 4 * 4, full.layers().get("conv1").c(), "conv1's columns are C·K·K = 48 long");
        assertTrue(!full.memory().isEmpty() && full.memoryBytes() > 0);
        assertTrue(device.memory().isEmpty(), "the device reads the bases and skips P");
        assertEquals(full.memoryBytes(), device.memoryBytes());

        CommandsTest.Run bad = CommandsTest.run("experiment", "cl", "--models", "alexnet", "--out", dir.resolve("bad").toString());
        assertTrue(bad.code() != 0 && bad.err().contains("--models: 'alexnet'"), bad.err());
        bad = CommandsTest.run("experiment", "cl", "--methods", "gpm,gpm", "--out", dir.resolve("bad").toString());
        assertTrue(bad.code() != 0 && bad.err().contains("gpm twice"), bad.err());
        assertTrue(!Files.exists(dir.resolve("bad")), "a refused run writes nothing");
    }
}
