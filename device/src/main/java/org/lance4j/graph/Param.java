package org.lance4j.graph;

import org.lance4j.tensor.Tensor;

/** A named parameter or running statistic of a model, e.g. {@code conv1.weight}, {@code bn1.running_var}. */
public record Param(String name, String node, LayerSpec.ParamKind kind, Tensor value, int fanIn) {
    public boolean trainableKind() {
        return kind.trainable();
    }
}
