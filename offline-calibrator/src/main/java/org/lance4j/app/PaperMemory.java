package org.lance4j.app;

import java.util.ArrayList;
import java.util.List;
import org.lance4j.graph.ModelSpec;
import org.lance4j.graph.TrainableRule;
import org.lance4j.tensor.Shape;

/**
 * Activation memory as the papers count it (DESIGN.md): for the last N convolutions with
 * {@code groups == 1}, B·C·H·W floats of each one's input, 4 bytes per float, MiB = 2^20 bytes. The
 * head, BN, ReLU masks, weights and optimizer state are not counted (that is what the measured peak of
 * the backward-held arena adds).
 */
public final class PaperMemory {
    /** One trained convolution's input. */
    public record Layer(String node, Shape input, long bytes) { }

    private PaperMemory() { }

    public static List<Layer> layers(ModelSpec spec, int batch, int lastConvs) {
        List<String> convs = TrainableRule.regularConvs(spec);
        if (lastConvs > convs.size()) {
            throw new IllegalArgumentException("--layers " + lastConvs + ": model '" + spec.name() + "' has only " + convs.size()
                    + " convolutions with groups == 1");
        }
        List<Layer> out = new ArrayList<>();
        for (String c : convs.subList(convs.size() - lastConvs, convs.size())) {
            ModelSpec.Node n = spec.nodes().stream().filter(x -> x.name().equals(c)).findFirst().orElseThrow();
            Shape in = spec.shape(n.inputs().get(0)).withBatchPrefix(batch);
            out.add(new Layer(c, in, 4L * in.size()));
        }
        return out;
    }

    public static long bytes(ModelSpec spec, int batch, int lastConvs) {
        return layers(spec, batch, lastConvs).stream().mapToLong(Layer::bytes).sum();
    }

    /** B·C·H·W floats of each named convolution's input, 4 bytes each. */
    public static long bytes(ModelSpec spec, int batch, List<String> convs) {
        long b = 0;
        for (String c : convs) {
            ModelSpec.Node n = spec.nodes().stream().filter(x -> x.name().equals(c)).findFirst().orElseThrow();
            b += 4L * spec.shape(n.inputs().get(0)).withBatchPrefix(batch).size();
        }
        return b;
    }

    /** Compressed methods count the core plus the factor matrices of each trained convolution. */
    public static long compressedBytes(java.util.Map<String, org.lance4j.compress.ConvBasis> bases) {
        long b = 0;
        for (org.lance4j.compress.ConvBasis u : bases.values()) b += 4L * (u.coreSize() + u.factorSize());
        return b;
    }

    public static double mib(long bytes) {
        return bytes / (double) (1 << 20);
    }
}
