package org.lance4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.jr.ob.JSON;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `bench gemm` and `bench step` end to end, on tiny settings: both sides really run (OpenBLAS through the C
 * server gcc builds; PyTorch through the script that builds the network from our spec — its parameter count
 * must match ours or the command fails), JSON and files come out, and bad flags are refused by name.
 * `./lance4j test` installs gcc, libopenblas-dev and python3-torch (Debian) before the suite runs.
 */
class BenchCommandsTest {
    @Test
    void gemmRunsBothLibrariesAtTheStepShapes(@TempDir Path dir) throws Exception {
        CommandsTest.Run r = CommandsTest.run("bench", "gemm", "--models", "smallcnn", "--rounds", "1", "--round-ms", "0.2",
                "--out", dir.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        Map<String, Object> j = JSON.std.mapFrom(r.out().strip());
        assertTrue(((Number) j.get("fma_peak_gflops")).doubleValue() > 1, "the FMA loop ran: " + j.get("fma_peak_gflops"));
        assertEquals(j.get("fma_peak_gflops"), j.get("fma_peak_all_threads_gflops"), "one thread: the same measurement");
        assertTrue(String.valueOf(j.get("pinning")).matches("both sides on CPU \\d+ \\(taskset\\)"), "one thread: pinned: " + j.get("pinning"));
        List<?> shapes = (List<?>) j.get("shapes");
        assertFalse(shapes.isEmpty());
        for (Object o : shapes) {
            Map<?, ?> s = (Map<?, ?>) o;
            assertTrue(((Number) s.get("ours_gflops")).doubleValue() > 0 && ((Number) s.get("openblas_gflops")).doubleValue() > 0, s.toString());
            assertTrue(((Number) s.get("calls_per_step")).longValue() >= 1, s.toString());
            assertTrue(List.of("nn", "nt", "tn").contains(s.get("form")), s.toString());
        }
        // the step's GEMMs include all three forms: forward (nn), input gradient (tn), weight gradient (nt) or head (nt)
        assertTrue(shapes.stream().anyMatch(o -> "tn".equals(((Map<?, ?>) o).get("form"))));
        assertTrue(Files.readString(dir.resolve("gemm.csv")).lines().count() == shapes.size() + 1);
        assertTrue(Files.readString(dir.resolve("results.md")).contains("Median ratio"));
    }

    @Test
    void gemmWithThreadsAlsoMeasuresTheirJointPeak(@TempDir Path dir) throws Exception {
        CommandsTest.Run r = CommandsTest.run("bench", "gemm", "--models", "smallcnn", "--rounds", "1", "--round-ms", "0.2",
                "--threads", "2", "--out", dir.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        Map<String, Object> j = JSON.std.mapFrom(r.out().strip());
        double one = ((Number) j.get("fma_peak_gflops")).doubleValue(), all = ((Number) j.get("fma_peak_all_threads_gflops")).doubleValue();
        assertTrue(one > 1 && all > 1, "both FMA loops ran: " + one + ", " + all);
        assertTrue(Files.readString(dir.resolve("results.md")).contains("of 2 threads at once"));
        assertEquals("not pinned (2 threads)", j.get("pinning"));
    }

    @Test
    void stepRunsTheSameNetworkInPyTorch(@TempDir Path dir) throws Exception {
        CommandsTest.Run r = CommandsTest.run("bench", "step", "--model", "smallcnn", "--input", "28", "--batch", "8", "--threads", "2",
                "--layers", "1", "--calibration-batches", "1", "--warmup", "1", "--rounds", "1", "--steps", "1",
                "--data", CommandsTest.bars(dir), "--out", dir.resolve("out").toString(), "--json");
        assertEquals(0, r.code(), r.err());
        Map<String, Object> j = JSON.std.mapFrom(r.out().strip());
        assertEquals(2, ((Number) j.get("threads")).intValue());
        List<?> rows = (List<?>) j.get("rows");
        assertEquals(3, rows.size(), "full bp, fine-tune bp, fine-tune lance");
        for (Object o : rows) {
            Map<?, ?> row = (Map<?, ?>) o;
            Map<?, ?> ours = (Map<?, ?>) row.get("step_ms"), torch = (Map<?, ?>) row.get("torch_step_ms");
            assertTrue(((Number) ours.get("total")).doubleValue() > 0 && ((Number) torch.get("total")).doubleValue() > 0, row.toString());
            assertTrue(((Number) row.get("macs_per_step")).longValue() > 0, row.toString());
        }
        assertTrue(Files.readString(dir.resolve("out").resolve("results.md")).contains("ours / PyTorch"));
    }

    @Test
    void badFlagsAreRefusedByName(@TempDir Path dir) {
        CommandsTest.Run r = CommandsTest.run("bench", "step", "--model", "nope", "--out", dir.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("--model"), r.err());
        r = CommandsTest.run("bench", "gemm", "--threads", "0", "--out", dir.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("--threads"), r.err());
        r = CommandsTest.run("bench", "gemm", "--threads", "2", "--cpu", "0", "--out", dir.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("--cpu 0 pins a one-thread run"), r.err());
        r = CommandsTest.run("bench", "gemm", "--cpu", "4096", "--models", "smallcnn", "--out", dir.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("--cpu 4096: this process may use CPUs"), r.err());
        r = CommandsTest.run("finetune", "--threads", "0", "--model-file", dir.resolve("none.l4j").toString(), "--data", "fmnist",
                "--method", "bp", "--layers", "1");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("--threads"), r.err());
        assertFalse(Files.exists(dir.resolve("gemm.csv")), "nothing written by a refused run");
    }
}
