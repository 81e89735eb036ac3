package org.lance4j.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import org.lance4j.app.PaperMemory;
import org.lance4j.graph.Graph;
import org.lance4j.graph.Model;
import org.lance4j.graph.ModelSpec;
import org.lance4j.graph.TrainableRule;
import org.lance4j.models.Zoo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Activation memory of fine-tuning the last N layers: the paper metric and, when it fits in this
 * JVM's memory, the measured peak of the backward-held arena over one real training step.
 */
@Command(name = "memory", description = "Activation memory of training the last N convolutions: paper metric and measured peak.")
final class MemoryCommand implements Callable<Integer> {
    @Option(names = "--model", defaultValue = Zoo.DEFAULT, completionCandidates = ModelNames.class,
            description = "Architecture: ${COMPLETION-CANDIDATES}; default ${DEFAULT-VALUE}.")
    String model;

    @Option(names = "--input", required = true, description = "Input size S (S×S images).")
    int input;

    @Option(names = "--batch", required = true, description = "Batch size B.")
    int batch;

    @Option(names = "--layers", required = true, description = "Train the last N convolutions with groups == 1 (plus the head).")
    int layers;

    @Option(names = "--method", defaultValue = "bp", description = "Activation store: bp (full backprop; computed from the "
            + "architecture alone). Compressed stores depend on data: see calibrate's report and finetune's measured peak.")
    String method;

    @Option(names = "--channels", defaultValue = "3", description = "Input channels (default ${DEFAULT-VALUE}).")
    int channels;

    @Option(names = "--classes", defaultValue = "10", description = "Classes of the head (default ${DEFAULT-VALUE}).")
    int classes;

    @Option(names = "--width", defaultValue = "1", description = "Width multiplier for mobilenetv2/mcunet/smallcnn.")
    float width;

    @Option(names = "--json", description = "Print exactly one JSON object on stdout.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (!method.equals("bp")) {
            throw new IllegalArgumentException("--method " + method + ": memory computes full backprop (bp) from the architecture "
                    + "alone; a compressed store's size depends on data — see ./lance4j calibrate's report (lance, asi) or the measured "
                    + "peak of ./lance4j finetune --method " + method);
        }
        if (batch < 1) throw new IllegalArgumentException("--batch must be ≥ 1, got " + batch);
        ModelSpec spec = Zoo.build(model, new Zoo.Options(channels, input, classes, width, null, 1));
        List<PaperMemory.Layer> paper = PaperMemory.layers(spec, batch, layers);
        long paperBytes = paper.stream().mapToLong(PaperMemory.Layer::bytes).sum();
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("model", spec.name());
        r.put("input", input);
        r.put("batch", batch);
        r.put("layers", layers);
        r.put("method", method);
        r.put("activation_mib", PaperMemory.mib(paperBytes));
        r.put("activation_bytes", paperBytes);
        List<Map<String, Object>> pl = new ArrayList<>();
        for (PaperMemory.Layer l : paper) pl.add(Map.of("node", l.node(), "input", l.input().toString(), "bytes", l.bytes()));
        r.put("paper_layers", pl);

        Model m = new Model(spec);
        Graph.Config cfg = Graph.Config.train(batch, TrainableRule.lastConvs(layers)).withFrozenBatchNorm();
        // the graph's own estimate first: only measure what fits comfortably in this JVM
        long params = 4L * m.storage().length;
        Graph g = null;
        String skipped = null;
        try {
            g = Graph.plan(m, cfg);
        } catch (OutOfMemoryError e) {
            skipped = "planning needs more memory than this JVM has (" + (Runtime.getRuntime().maxMemory() >> 20) + " MiB)";
        }
        if (g != null) {
            long need = g.scratchBytes() + g.plannedHeldBytes() + params;
            if (need > Runtime.getRuntime().maxMemory() * 7 / 10) {
                skipped = String.format(Locale.ROOT, "one step needs about %.0f MiB, more than this JVM can spare", need / 1048576.0);
            } else {
                SplittableRandom rnd = new SplittableRandom(1);
                float[] x = g.input().data;
                for (int i = 0; i < g.input().size(); i++) x[g.input().offset + i] = (float) rnd.nextGaussian();
                int[] y = new int[batch];
                for (int i = 0; i < batch; i++) y[i] = rnd.nextInt(classes);
                g.zeroGrads();
                g.forwardTraining();
                g.lossAndGrad(y, 0);
                g.backward();
                r.put("peak_backward_bytes", g.held().peakBytes());
                r.put("peak_backward_mib", PaperMemory.mib(g.held().peakBytes()));
                List<Map<String, Object>> held = new ArrayList<>();
                for (Graph.HeldNeed h : g.heldNeeds()) held.add(Map.of("node", h.node(), "kind", h.kind(), "bytes", h.bytes()));
                r.put("held_layers", held);
                r.put("scratch_bytes", g.scratchBytes());
            }
        }
        if (skipped != null) r.put("measured_skipped", skipped);
        final Graph fg = g;
        final String fs = skipped;
        Output.print(json, r, () -> {
            StringBuilder sb = new StringBuilder();
            sb.append(String.format(Locale.ROOT, "%s, input %d, batch %d, last %d convolutions + head, %s%n", spec.name(), input, batch,
                    layers, method));
            sb.append(String.format(Locale.ROOT, "activation memory (paper metric): %.3f MiB (%,d bytes)%n", PaperMemory.mib(paperBytes),
                    paperBytes));
            for (PaperMemory.Layer l : paper) sb.append(String.format(Locale.ROOT, "  %-24s input %-20s %,12d bytes%n", l.node(), l.input(), l.bytes()));
            if (fs != null) {
                sb.append("measured peak: not measured — ").append(fs);
            } else {
                sb.append(String.format(Locale.ROOT, "measured peak of the backward-held arena, one training step: %.3f MiB (%,d bytes)%n",
                        PaperMemory.mib(fg.held().peakBytes()), fg.held().peakBytes()));
                for (Graph.HeldNeed h : fg.heldNeeds()) {
                    sb.append(String.format(Locale.ROOT, "  %-24s %-8s %,12d bytes%n", h.node(), h.kind(), h.bytes()));
                }
                sb.setLength(sb.length() - 1);
            }
            return sb.toString();
        });
        return 0;
    }
}
