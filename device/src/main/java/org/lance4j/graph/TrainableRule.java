package org.lance4j.graph;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Which nodes' parameters are trained. The default fine-tuning rule is the paper's: the last N
 * convolutions with {@code groups == 1} in definition order, plus the classifier head(s); optionally
 * also the depthwise convolutions among them (after the first chosen one), and the BN affine
 * parameters among them. {@link #all()} trains everything (pretraining).
 */
public record TrainableRule(Kind kind, int lastConvs, boolean includeDepthwise, boolean includeBatchNorm, Set<String> excluded) {
    public enum Kind { ALL, NONE, LAST_CONVS }

    public TrainableRule {
        if (kind == Kind.LAST_CONVS && lastConvs < 0) {
            throw new IllegalArgumentException("--layers must be ≥ 0, got " + lastConvs);
        }
        excluded = Set.copyOf(excluded);
    }

    public TrainableRule(Kind kind, int lastConvs, boolean includeDepthwise, boolean includeBatchNorm) {
        this(kind, lastConvs, includeDepthwise, includeBatchNorm, Set.of());
    }

    /** The same rule with these nodes frozen (continual learning: a layer whose memory spans all its inputs). */
    public TrainableRule except(Set<String> nodes) {
        Set<String> all = new LinkedHashSet<>(excluded);
        all.addAll(nodes);
        return new TrainableRule(kind, lastConvs, includeDepthwise, includeBatchNorm, all);
    }

    public static TrainableRule all() {
        return new TrainableRule(Kind.ALL, 0, true, true);
    }

    /** Every parameter except BatchNorm's (continual learning after the first task: BN is frozen). */
    public static TrainableRule allButBatchNorm() {
        return new TrainableRule(Kind.ALL, 0, true, false);
    }

    public static TrainableRule none() {
        return new TrainableRule(Kind.NONE, 0, false, false);
    }

    public static TrainableRule lastConvs(int n) {
        return new TrainableRule(Kind.LAST_CONVS, n, false, false);
    }

    public TrainableRule withDepthwise() {
        return new TrainableRule(kind, lastConvs, true, includeBatchNorm, excluded);
    }

    public TrainableRule withBatchNorm() {
        return new TrainableRule(kind, lastConvs, includeDepthwise, true, excluded);
    }

    /** The convolutions with groups == 1, in definition order. */
    public static List<String> regularConvs(ModelSpec spec) {
        List<String> out = new ArrayList<>();
        for (ModelSpec.Node n : spec.nodes()) {
            if (n.layer() instanceof LayerSpec.Conv c && c.groups() == 1) out.add(n.name());
        }
        return out;
    }

    /** Names of the nodes whose parameters are trained. */
    public Set<String> select(ModelSpec spec) {
        Set<String> out = new LinkedHashSet<>();
        switch (kind) {
            case NONE -> { }
            case ALL -> {
                for (ModelSpec.Node n : spec.nodes()) {
                    if (!includeBatchNorm && n.layer() instanceof LayerSpec.BatchNorm) continue;
                    if (!n.layer().params(spec.inputShapes(n)).isEmpty()) out.add(n.name());
                }
            }
            case LAST_CONVS -> {
                List<String> convs = regularConvs(spec);
                if (lastConvs > convs.size()) {
                    throw new IllegalArgumentException("--layers " + lastConvs + ": model '" + spec.name() + "' has only "
                            + convs.size() + " convolutions with groups == 1");
                }
                List<String> chosen = convs.subList(convs.size() - lastConvs, convs.size());
                boolean after = false;
                for (ModelSpec.Node n : spec.nodes()) {
                    if (!after && !chosen.isEmpty() && n.name().equals(chosen.get(0))) after = true;
                    if (chosen.contains(n.name())) out.add(n.name());
                    else if (after && includeDepthwise && n.layer() instanceof LayerSpec.Conv c && c.groups() > 1) out.add(n.name());
                    else if (after && includeBatchNorm && n.layer() instanceof LayerSpec.BatchNorm b && b.affine()) out.add(n.name());
                }
                out.addAll(spec.heads());
            }
        }
        out.removeAll(excluded);
        return out;
    }
}
