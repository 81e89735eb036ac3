package org.lance4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.jr.ob.JSON;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lance4j.app.Models;
import org.lance4j.io.BasisFile;

/**
 * The step-by-step continual-learning commands chained as a desktop and a device would run them on
 * Fashion-MNIST subsets: train task 1, build the memory, calibrate task 2, train task 2 with LANCE-CL's
 * bases and with GPM's memory; and the refusals.
 */
class ClCommandTest {
    static Map<String, Object> ok(String... args) throws Exception {
        CommandsTest.Run r = CommandsTest.run(args);
        assertEquals(0, r.code(), r.err());
        return JSON.std.mapFrom(r.out().strip());
    }

    @Test
    void chainTrainMemoryCalibrateTrain(@TempDir Path d) throws Exception {
        String m1 = d.resolve("m1.l4j").toString(), mem = d.resolve("mem1.l4jb").toString(), b2 = d.resolve("task2.l4jb").toString();
        Map<String, Object> t1 = ok("cl", "train", "--task", "1", "--model", "alexnet-cl", "--tasks", "2", "--data", "fmnist:classes=0-1",
                "--limit", "128", "--batch", "16", "--epochs", "1", "--out", m1, "--json");
        assertEquals("bp", t1.get("method"));
        Map<String, Object> mj = ok("cl", "memory", "--model-file", m1, "--data", "fmnist:classes=0-1", "--task", "1", "--samples", "32",
                "--out", mem, "--json");
        assertEquals(0.97, ((Number) mj.get("threshold")).doubleValue(), 1e-12);
        assertTrue(((Number) mj.get("memory_bytes")).longValue() > 0);
        Map<String, Object> cj = ok("cl", "calibrate", "--model-file", m1, "--data", "fmnist:classes=2-3", "--memory", mem, "--batches", "2",
                "--batch", "16", "--out", b2, "--json");
        assertTrue(((Map<?, ?>) cj.get("layers")).containsKey("fc2"), cj.toString());
        assertArrayEquals(BasisFile.read(Path.of(mem)).memory().get("conv2").p(), BasisFile.read(Path.of(b2)).memory().get("conv2").p(),
                "the task's basis file carries the memory it was calibrated against");
        Map<String, Object> t2 = ok("cl", "train", "--task", "2", "--model-file", m1, "--data", "fmnist:classes=2-3", "--basis", b2,
                "--limit", "128", "--batch", "16", "--epochs", "1", "--out", d.resolve("m2.l4j").toString(), "--json");
        assertEquals("lance-cl", t2.get("method"));
        assertEquals(0, ((Number) t2.get("memory_held_bytes")).longValue());
        Map<String, Object> g2 = ok("cl", "train", "--task", "2", "--model-file", m1, "--data", "fmnist:classes=2-3", "--gpm-memory", mem,
                "--limit", "128", "--batch", "16", "--epochs", "1", "--out", d.resolve("m2g.l4j").toString(), "--json");
        assertEquals("gpm", g2.get("method"));
        assertEquals(((Number) mj.get("memory_bytes")).longValue(), ((Number) g2.get("memory_held_bytes")).longValue());
        float[] before = Models.load(Path.of(m1)).model().param("fc1.weight").value().toArray();
        assertNotEquals(java.util.Arrays.hashCode(before), java.util.Arrays.hashCode(Models.load(d.resolve("m2.l4j")).model().param("fc1.weight").value().toArray()),
                "LANCE-CL trained the shared layers");
        assertEquals("lance-cl", Models.load(d.resolve("m2.l4j")).meta().get("cl_method"));

        CommandsTest.Run bad = CommandsTest.run("cl", "train", "--task", "2", "--data", "fmnist:classes=2-3", "--out", d.resolve("x").toString());
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("--model-file"), bad.err());
        bad = CommandsTest.run("cl", "train", "--task", "2", "--model-file", m1, "--data", "fmnist:classes=2-3", "--basis", b2, "--gpm-memory", mem,
                "--out", d.resolve("x").toString());
        assertTrue(bad.code() != 0 && bad.err().contains("not both"), bad.err());
        bad = CommandsTest.run("cl", "train", "--task", "2", "--model-file", m1, "--data", "fmnist:classes=2-3", "--basis", b2, "--batch", "8",
                "--out", d.resolve("x").toString());
        assertTrue(bad.code() != 0 && bad.err().contains("batch size 16"), bad.err());
    }
}
