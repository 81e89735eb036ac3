package org.lance4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.jr.ob.JSON;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The experiment and benchmark commands end to end on small subsets of Fashion-MNIST (the locator
 * installs it when missing), and depthwise calibration on generated data.
 */
class ExperimentCommandsTest {
    static void assertPng(Path p) throws Exception {
        assertTrue(Files.isRegularFile(p), p + " written");
        byte[] head = java.util.Arrays.copyOf(Files.readAllBytes(p), 8);
        assertEquals(0x89, head[0] & 0xff, p + " is a PNG");
        assertEquals('P', head[1], p + " is a PNG");
    }

    @Test
    void finetuneExperimentComparesEveryMethodAndWritesItsFiles(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("out");
        String[] args = {"experiment", "finetune", "--models", "smallcnn", "--input", "28", "--stem", "auto", "--batch", "32",
            "--pretrain-images", "256", "--pretrain-epochs", "1", "--train-images", "128", "--test-images", "128", "--epochs", "1",
            "--layers", "1,2", "--calibration-batches", "2", "--cache", dir.resolve("cache").toString(), "--out", out.toString(), "--json"};
        CommandsTest.Run r = CommandsTest.run(args);
        assertEquals(0, r.code(), r.err());
        Map<String, Object> j = JSON.std.mapFrom(r.out().strip());
        List<?> rows = (List<?>) j.get("rows");
        assertEquals(8, rows.size(), "2 layer counts × 4 methods");
        for (int n = 1; n <= 2; n++) {
            Map<?, ?> bp = row(rows, n, "bp"), lance = row(rows, n, "lance"), asi = row(rows, n, "asi"), hosvd = row(rows, n, "hosvd");
            double bpMib = ((Number) bp.get("activation_mib")).doubleValue(), lanceMib = ((Number) lance.get("activation_mib")).doubleValue();
            assertTrue(lanceMib < bpMib, "LANCE keeps less than bp at N = " + n);
            long budget = ((Number) asi.get("asi_budget_bytes")).longValue();
            assertEquals(Math.round(lanceMib * (1 << 20)), budget, "ASI's budget is LANCE's memory");
            assertTrue(((Number) asi.get("activation_mib")).doubleValue() * (1 << 20) <= budget, "ASI within its budget");
            assertTrue(((Number) hosvd.get("gradient_angle_deg")).doubleValue() > 0, "HOSVD's gradient is approximate");
            assertEquals(0.0, ((Number) bp.get("gradient_angle_deg")).doubleValue());
        }
        List<?> targets = (List<?>) j.get("targets");
        assertTrue(targets.stream().anyMatch(t -> t.toString().contains("ASI memory")), targets.toString());
        String md = Files.readString(out.resolve("results.md"));
        assertTrue(md.contains("| smallcnn | 2 | lance |"), md);
        assertEquals(9, Files.readAllLines(out.resolve("results.csv")).size(), "header + 8 rows");
        assertEquals(j.get("rows"), JSON.std.mapFrom(Files.readString(out.resolve("results.json"))).get("rows"));
        assertPng(out.resolve("memory-vs-accuracy.png"));
        assertPng(out.resolve("latency.png"));
        // the pretrained model is cached: a second run says so and reproduces the accuracies
        CommandsTest.Run again = CommandsTest.run(java.util.Arrays.copyOf(args, args.length - 1));
        assertEquals(0, again.code(), again.err());
        assertTrue(again.err().contains("using the pretrained smallcnn cached"), again.err());
        assertTrue(again.out().contains("| smallcnn | 1 | bp | " + String.format(java.util.Locale.ROOT, "%.4f", ((Number) row(rows, 1, "bp").get("test_accuracy")).doubleValue())),
                again.out());
    }

    static Map<?, ?> row(List<?> rows, int layers, String method) {
        for (Object o : rows) {
            Map<?, ?> m = (Map<?, ?>) o;
            if (((Number) m.get("layers")).intValue() == layers && m.get("method").equals(method)) return m;
        }
        throw new AssertionError("no row for " + layers + " layers, " + method);
    }

    @Test
    void energySweepKeepsMoreAtHigherEnergy(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("out");
        CommandsTest.Run r = CommandsTest.run("experiment", "energy", "--energies", "0.5,0.95", "--pretrain-images", "256", "--pretrain-epochs", "1",
                "--train-images", "128", "--test-images", "128", "--epochs", "1", "--calibration-batches", "2", "--cache", dir.resolve("cache").toString(),
                "--out", out.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        List<?> pts = (List<?>) JSON.std.mapFrom(r.out().strip()).get("points");
        assertEquals(2, pts.size());
        double lo = ((Number) ((Map<?, ?>) pts.get(0)).get("activation_mib")).doubleValue();
        double hi = ((Number) ((Map<?, ?>) pts.get(1)).get("activation_mib")).doubleValue();
        assertTrue(hi > lo, "ε 0.95 keeps more than ε 0.5: " + hi + " vs " + lo);
        double aLo = ((Number) ((Map<?, ?>) pts.get(0)).get("gradient_angle_deg")).doubleValue();
        double aHi = ((Number) ((Map<?, ?>) pts.get(1)).get("gradient_angle_deg")).doubleValue();
        assertTrue(aHi < aLo, "a higher ε gives a gradient closer to the exact one: " + aHi + "° vs " + aLo + "°");
        assertPng(out.resolve("energy.png"));
        assertPng(out.resolve("energy-memory.png"));
        assertEquals(4, Files.readAllLines(out.resolve("results.csv")).size(), "header + bp + 2 points");
    }

    @Test
    void latencyBenchTimesEveryMethodAndLayerCount(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("out");
        CommandsTest.Run r = CommandsTest.run("bench", "latency", "--model", "smallcnn", "--input", "28", "--max-layers", "2", "--steps", "2",
                "--warmup", "1", "--batch", "16", "--calibration-batches", "2", "--out", out.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        List<?> pts = (List<?>) JSON.std.mapFrom(r.out().strip()).get("points");
        assertEquals(8, pts.size(), "4 methods × 2 layer counts");
        for (Object o : pts) {
            Map<?, ?> p = (Map<?, ?>) o;
            double total = ((Number) ((Map<?, ?>) p.get("step_ms")).get("total")).doubleValue();
            assertTrue(total > 0, p.toString());
        }
        assertEquals(9, Files.readAllLines(out.resolve("latency.csv")).size());
        assertPng(out.resolve("latency.png"));
        CommandsTest.Run bad = CommandsTest.run("bench", "latency", "--methods", "bp,sgd", "--out", out.toString());
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("--methods: unknown method 'sgd'"), bad.err());
    }

    @Test
    void depthwiseConvolutionsAreCalibratedAndFineTunedWithDepthwise(@TempDir Path dir) throws Exception {
        String data = CommandsTest.bars(dir);
        Path model = dir.resolve("m.l4j"), basis = dir.resolve("b.l4jb");
        assertEquals(0, CommandsTest.run("pretrain", "--model", "mcunet", "--data", data, "--input", "16", "--epochs", "1", "--batch", "16",
                "--out", model.toString()).code());
        CommandsTest.Run c = CommandsTest.run("calibrate", "--model-file", model.toString(), "--data", data, "--layers", "4", "--depthwise",
                "--energy", "0.8", "--batches", "2", "--batch", "16", "--out", basis.toString(), "--json");
        assertEquals(0, c.code(), c.err());
        List<?> layers = (List<?>) JSON.std.mapFrom(c.out().strip()).get("layers");
        assertTrue(layers.size() > 4, "the depthwise convolutions after the first of the last 4 are calibrated too: " + layers.size());
        CommandsTest.Run f = CommandsTest.run("finetune", "--model-file", model.toString(), "--data", data, "--method", "lance", "--layers", "4",
                "--depthwise", "--basis", basis.toString(), "--epochs", "1", "--batch", "16", "--json");
        assertEquals(0, f.code(), f.err());
        CommandsTest.Run without = CommandsTest.run("finetune", "--model-file", model.toString(), "--data", data, "--method", "lance", "--layers", "4",
                "--basis", basis.toString(), "--epochs", "1", "--batch", "16");
        assertEquals(1, without.code());
        assertTrue(without.err().contains("calibrate with the same --layers"), without.err());
    }

    @Test
    void headCompressionCutsTheMeasuredPeakByExactlyTheHeadInputLessItsCore(@TempDir Path dir) throws Exception {
        String data = CommandsTest.bars(dir);
        Path model = dir.resolve("m.l4j"), convs = dir.resolve("c.l4jb"), head = dir.resolve("h.l4jb");
        assertEquals(0, CommandsTest.run("pretrain", "--model", "smallcnn", "--data", data, "--input", "16", "--epochs", "1", "--batch", "16",
                "--out", model.toString()).code());
        String[] calib = {"calibrate", "--model-file", model.toString(), "--data", data, "--layers", "1", "--energy", "0.8", "--batches", "2",
            "--batch", "16", "--json", "--out"};
        CommandsTest.Run c = CommandsTest.run(cat(calib, convs.toString()));
        assertEquals(0, c.code(), c.err());
        CommandsTest.Run h = CommandsTest.run(cat(calib, head.toString(), "--head"));
        assertEquals(0, h.code(), h.err());
        List<?> layers = (List<?>) JSON.std.mapFrom(h.out().strip()).get("layers");
        assertEquals(2, layers.size(), "the last conv and the head");
        Map<?, ?> fc = (Map<?, ?>) layers.get(1);
        List<?> modes = (List<?>) fc.get("modes");
        assertEquals(1, modes.size(), "the head's one projected mode (batch unprojected): " + modes);
        assertEquals("F", ((Map<?, ?>) modes.get(0)).get("mode"));
        int f = ((Number) ((Map<?, ?>) modes.get(0)).get("size")).intValue(), rF = ((Number) ((Map<?, ?>) modes.get(0)).get("rank")).intValue();
        assertTrue(rF < f, "rank " + rF + " of " + f);
        String[] ft = {"finetune", "--model-file", model.toString(), "--data", data, "--method", "lance", "--layers", "1", "--epochs", "1",
            "--batch", "16", "--json", "--basis"};
        CommandsTest.Run a = CommandsTest.run(cat(ft, convs.toString())), b = CommandsTest.run(cat(ft, head.toString()));
        assertEquals(0, a.code(), a.err());
        assertEquals(0, b.code(), b.err());
        long peakA = ((Number) JSON.std.mapFrom(a.out().strip()).get("peak_backward_bytes")).longValue();
        long peakB = ((Number) JSON.std.mapFrom(b.out().strip()).get("peak_backward_bytes")).longValue();
        // the head's full input (16, F) is replaced by its core (16, r_F) and U_F (F, r_F)
        assertEquals(4L * (16L * f - 16L * rF - (long) f * rF), peakA - peakB, "peak " + peakA + " → " + peakB);
        assertEquals(JSON.std.mapFrom(a.out().strip()).get("activation_bytes"), JSON.std.mapFrom(b.out().strip()).get("activation_bytes"),
                "the paper metric counts the trained convolutions only, with or without a compressed head");
        CommandsTest.Run asi = CommandsTest.run("calibrate", "--model-file", model.toString(), "--data", data, "--layers", "1", "--method", "asi",
                "--budget", "4KiB", "--head", "--batch", "16", "--out", dir.resolve("x.l4jb").toString());
        assertEquals(1, asi.code());
        assertTrue(asi.err().contains("--head is for --method lance"), asi.err());
        assertTrue(!Files.exists(dir.resolve("x.l4jb")), "nothing written");
    }

    static String[] cat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
