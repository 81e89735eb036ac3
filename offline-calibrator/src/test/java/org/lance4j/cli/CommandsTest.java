package org.lance4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lance4j.data.Dataset;
import org.lance4j.data.IdxWriter;
import org.lance4j.tensor.Shape;

/** The commands end to end on small generated IDX data: pretrain → model file → evaluate; memory; errors. */
class CommandsTest {
    record Run(int code, String out, String err) { }

    static Run run(String... args) {
        PrintStream o = System.out, e = System.err;
        ByteArrayOutputStream bo = new ByteArrayOutputStream(), be = new ByteArrayOutputStream();
        System.setOut(new PrintStream(bo, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(be, true, StandardCharsets.UTF_8));
        try {
            int code = Lance4j.run(args);
            return new Run(code, bo.toString(StandardCharsets.UTF_8), be.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(o);
            System.setErr(e);
        }
    }

    /** 3 classes of 12×12 images: a bright bar at row 2, 6 or 10, with noise — learnable in one epoch. */
    static String bars(Path dir) throws Exception {
        int n = 360;
        byte[] px = new byte[n * 144];
        int[] y = new int[n];
        java.util.SplittableRandom r = new java.util.SplittableRandom(5);
        for (int i = 0; i < n; i++) {
            y[i] = i % 3;
            for (int q = 0; q < 144; q++) px[i * 144 + q] = (byte) r.nextInt(60);
            for (int x = 0; x < 12; x++) px[i * 144 + (2 + 4 * y[i]) * 12 + x] = (byte) 220;
        }
        Dataset d = new Dataset("bars", Shape.of(1, 12, 12), px, y, 3);
        IdxWriter.write(d, dir.resolve("img.gz"), dir.resolve("lab.gz"));
        return "idx:" + dir.resolve("img.gz") + "," + dir.resolve("lab.gz");
    }

    @Test
    void pretrainThenEvaluateAgree(@TempDir Path dir) throws Exception {
        String data = bars(dir);
        Path model = dir.resolve("m.l4j");
        Run p = run("pretrain", "--model", "smallcnn", "--data", data, "--epochs", "2", "--batch", "16", "--out", model.toString(), "--json");
        assertEquals(0, p.code, p.err);
        Map<String, Object> pj = JSON.std.mapFrom(p.out.strip());
        double acc = ((Number) pj.get("test_accuracy")).doubleValue();
        assertTrue(acc > 0.9, "a trivially separable task is learnt: " + acc);
        assertTrue(Files.isRegularFile(model));
        Run e = run("evaluate", "--model-file", model.toString(), "--data", data, "--json");
        assertEquals(0, e.code, e.err);
        Map<String, Object> ej = JSON.std.mapFrom(e.out.strip());
        assertEquals(acc, ((Number) ej.get("test_accuracy")).doubleValue(), 1e-12, "evaluate sees the same hold-out");
        assertEquals(60, ((Number) ej.get("images")).intValue());
        Run human = run("evaluate", "--model-file", model.toString(), "--data", data);
        assertTrue(human.out.contains("accuracy"), human.out);
    }

    @Test
    void calibrateThenFinetuneWithLance(@TempDir Path dir) throws Exception {
        String data = bars(dir);
        Path model = dir.resolve("m.l4j"), basis = dir.resolve("b.l4jb");
        assertEquals(0, run("pretrain", "--data", data, "--epochs", "1", "--batch", "16", "--out", model.toString(), "--json").code);
        Run c = run("calibrate", "--model-file", model.toString(), "--data", data, "--layers", "2", "--energy", "0.7", "--batches", "5",
                "--batch", "16", "--out", basis.toString(), "--json");
        assertEquals(0, c.code, c.err);
        Map<String, Object> cj = JSON.std.mapFrom(c.out.strip());
        long compressed = ((Number) cj.get("activation_bytes")).longValue(), full = ((Number) cj.get("full_bytes")).longValue();
        assertTrue(compressed < full, compressed + " < " + full);
        Run f = run("finetune", "--model-file", model.toString(), "--data", data, "--method", "lance", "--layers", "2", "--basis",
                basis.toString(), "--epochs", "1", "--batch", "16", "--json");
        assertEquals(0, f.code, f.err);
        Map<String, Object> fj = JSON.std.mapFrom(f.out.strip());
        assertEquals(compressed, ((Number) fj.get("activation_bytes")).longValue(), "paper metric = core + factors");
        long peak = ((Number) fj.get("peak_backward_bytes")).longValue();
        assertTrue(peak >= compressed, "the measured peak holds at least the cores and factors");
        double angle = ((Number) fj.get("gradient_angle_deg")).doubleValue();
        assertTrue(angle > 0 && angle < 90, "a compressed gradient points away from the exact one, but not opposite: " + angle);
        @SuppressWarnings("unchecked")
        Map<String, Object> flops = (Map<String, Object>) fj.get("flops_per_step");
        @SuppressWarnings("unchecked")
        Map<String, Object> macs = (Map<String, Object>) fj.get("macs_per_step");
        assertEquals(2 * ((Number) macs.get("backward")).longValue(), ((Number) flops.get("backward")).longValue());
        assertTrue(((Number) macs.get("forward")).longValue() > 0);
        // a basis for another batch size, a budget too small, a basis for another model: one clear error each
        Run wrongBatch = run("finetune", "--model-file", model.toString(), "--data", data, "--method", "lance", "--layers", "2", "--basis",
                basis.toString(), "--batch", "8");
        assertTrue(wrongBatch.err.contains("batch size 16"), wrongBatch.err);
        Run small = run("finetune", "--model-file", model.toString(), "--data", data, "--method", "bp", "--layers", "2", "--budget", "1KiB",
                "--batch", "16");
        assertEquals(1, small.code);
        assertTrue(small.err.contains("--budget 1024 bytes is too small") && small.err.contains("conv5"), small.err);
        Path other = dir.resolve("o.l4j");
        assertEquals(0, run("pretrain", "--data", data, "--epochs", "1", "--batch", "16", "--seed", "9", "--out", other.toString()).code);
        Run wrongModel = run("finetune", "--model-file", other.toString(), "--data", data, "--method", "lance", "--layers", "2", "--basis",
                basis.toString(), "--batch", "16");
        assertTrue(wrongModel.err.contains("another model"), wrongModel.err);
    }

    @Test
    void asiBudgetSearchFitsTheBudgetAndFinetunes(@TempDir Path dir) throws Exception {
        String data = bars(dir);
        Path model = dir.resolve("m.l4j"), basis = dir.resolve("asi.l4jb");
        assertEquals(0, run("pretrain", "--data", data, "--epochs", "1", "--batch", "16", "--out", model.toString()).code);
        long budget = 6 * 1024;
        Run c = run("calibrate", "--model-file", model.toString(), "--data", data, "--layers", "2", "--method", "asi", "--budget", "6KiB",
                "--batch", "16", "--out", basis.toString(), "--json");
        assertEquals(0, c.code, c.err);
        Map<String, Object> cj = JSON.std.mapFrom(c.out.strip());
        long bytes = ((Number) cj.get("activation_bytes")).longValue();
        assertTrue(bytes <= budget, bytes + " within " + budget);
        Run f = run("finetune", "--model-file", model.toString(), "--data", data, "--method", "asi", "--layers", "2", "--basis",
                basis.toString(), "--epochs", "1", "--batch", "16", "--json");
        assertEquals(0, f.code, f.err);
        Map<String, Object> fj = JSON.std.mapFrom(f.out.strip());
        assertEquals(bytes, ((Number) fj.get("activation_bytes")).longValue(), "ASI's memory is what the search chose");
        assertTrue(((Number) fj.get("test_accuracy")).doubleValue() > 0.5);
        Run wrong = run("finetune", "--model-file", model.toString(), "--data", data, "--method", "lance", "--layers", "2", "--basis",
                basis.toString(), "--batch", "16");
        assertTrue(wrong.err.contains("--method asi"), wrong.err);
        Run tiny = run("calibrate", "--model-file", model.toString(), "--data", data, "--layers", "2", "--method", "asi", "--budget", "100B",
                "--batch", "16", "--out", dir.resolve("no.l4jb").toString());
        assertEquals(1, tiny.code);
        assertTrue(tiny.err.contains("too small") && tiny.err.contains("conv5"), tiny.err);
        assertTrue(!Files.exists(dir.resolve("no.l4jb")), "nothing written");
    }

    @Test
    void hosvdFinetunes(@TempDir Path dir) throws Exception {
        String data = bars(dir);
        Path model = dir.resolve("m.l4j");
        assertEquals(0, run("pretrain", "--data", data, "--epochs", "1", "--batch", "16", "--out", model.toString()).code);
        Run f = run("finetune", "--model-file", model.toString(), "--data", data, "--method", "hosvd", "--energy", "0.8", "--layers", "2",
                "--epochs", "1", "--batch", "16", "--json");
        assertEquals(0, f.code, f.err);
        Map<String, Object> j = JSON.std.mapFrom(f.out.strip());
        long compressed = ((Number) j.get("activation_bytes")).longValue();
        // conv4 reads (16, 32, 6, 6) and conv5 (16, 64, 3, 3) at full size: 4·16·(1152 + 576) bytes
        assertTrue(compressed > 0 && compressed < 4L * 16 * (1152 + 576), "HOSVD keeps less than the full inputs: " + compressed);
        double angle = ((Number) j.get("gradient_angle_deg")).doubleValue();
        assertTrue(angle > 0 && angle < 90, "angle " + angle);
        Run withBasis = run("finetune", "--model-file", model.toString(), "--data", data, "--method", "hosvd", "--layers", "2", "--basis",
                dir.resolve("x").toString());
        assertTrue(withBasis.err.contains("--basis is for lance and asi"), withBasis.err);
    }

    @Test
    void fitPicksTheFirstConfigurationThatFitsAndStaysWithinIt(@TempDir Path dir) throws Exception {
        String data = bars(dir);
        Path model = dir.resolve("m.l4j");
        assertEquals(0, run("pretrain", "--data", data, "--epochs", "1", "--batch", "16", "--out", model.toString()).code);
        for (String method : new String[] {"bp", "lance"}) {
            long budget = 60 * 1024;
            Run f = run("finetune", "--model-file", model.toString(), "--data", data, "--method", method, "--layers", "2", "--batch", "16",
                    "--budget", "60KiB", "--fit", "--epochs", "1", "--json");
            assertEquals(0, f.code, f.err);
            Map<String, Object> j = JSON.std.mapFrom(f.out.strip());
            @SuppressWarnings("unchecked")
            Map<String, Object> fit = (Map<String, Object>) j.get("fit");
            long need = ((Number) fit.get("need_bytes")).longValue();
            assertTrue(need <= budget, method + ": need " + need);
            @SuppressWarnings("unchecked")
            java.util.List<String> tried = (java.util.List<String>) fit.get("tried");
            for (String t : tried.subList(0, tried.size() - 1)) {
                long b = Long.parseLong(t.substring(t.lastIndexOf(": ") + 2, t.indexOf(" bytes")).replace(",", ""));
                assertTrue(b > budget, method + ": an earlier candidate fitted: " + t);
            }
            assertTrue(((Number) j.get("peak_backward_bytes")).longValue() <= budget, method + ": measured peak within the budget");
        }
        Run none = run("finetune", "--model-file", model.toString(), "--data", data, "--method", "bp", "--layers", "2", "--batch", "16",
                "--budget", "64B", "--fit");
        assertEquals(1, none.code);
        assertTrue(none.err.contains("no configuration fits"), none.err);
    }

    @Test
    void everySubcommandHasHelp() {
        for (String[] cmd : new String[][] {{"calibrate"}, {"finetune"}, {"experiment", "finetune"}, {"experiment", "energy"}, {"bench", "latency"}}) {
            String[] args = java.util.Arrays.copyOf(cmd, cmd.length + 1);
            args[cmd.length] = "--help";
            Run r = run(args);
            assertEquals(0, r.code, String.join(" ", args) + ": " + r.err);
            assertTrue(r.out.contains("Usage: lance4j " + String.join(" ", cmd)), r.out);
        }
        assertTrue(run("calibrate", "--help").out.contains("--head"));
    }

    @Test
    void memoryCountsThePaperMetricAndMeasuresThePeak() throws Exception {
        Run m = run("memory", "--model", "resnet18", "--input", "32", "--batch", "8", "--layers", "2", "--json");
        assertEquals(0, m.code, m.err);
        Map<String, Object> j = JSON.std.mapFrom(m.out.strip());
        // layer4.1.conv1 and layer4.1.conv2 both read (8, 512, 4, 4): 2 · 8·512·16 floats · 4 bytes = 0.5 MiB
        assertEquals(0.5, ((Number) j.get("activation_mib")).doubleValue(), 1e-12);
        long peak = ((Number) j.get("peak_backward_bytes")).longValue();
        // measured: both conv inputs, relu masks, BN invstd, the head's input (8·512)
        assertTrue(peak > 524_288 && peak < 524_288 + 64_000, "peak " + peak);
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> held = (List<Map<String, Object>>) j.get("held_layers");
        assertEquals("layer4.1.conv1", held.get(0).get("node"));
    }

    @Test
    void badInputGivesOneClearError(@TempDir Path dir) throws Exception {
        bars(dir);
        Run r = run("pretrain", "--data", "idx:" + dir.resolve("none.gz") + "," + dir.resolve("lab.gz"), "--out", dir.resolve("m").toString());
        assertEquals(1, r.code);
        assertTrue(r.err.contains("none.gz") && r.err.contains("no such file"), r.err);
        assertTrue(!Files.exists(dir.resolve("m")), "nothing written");
        r = run("evaluate", "--model-file", dir.resolve("missing.l4j").toString(), "--data", "fmnist");
        assertEquals(1, r.code);
        assertTrue(r.err.contains("missing.l4j") && r.err.contains("no such model file"), r.err);
        r = run("memory", "--model", "resnet18", "--input", "32", "--batch", "8", "--layers", "99");
        assertEquals(1, r.code);
        assertTrue(r.err.contains("--layers 99"), r.err);
        r = run("memory", "--model", "resnet18", "--input", "32", "--batch", "8", "--layers", "2", "--method", "lance");
        assertTrue(r.err.contains("full backprop (bp)") && r.err.contains("finetune --method lance"), r.err);
        r = run("pretrain", "--data", "fmnist");
        assertEquals(2, r.code, "missing --out is a usage error");
    }
}
