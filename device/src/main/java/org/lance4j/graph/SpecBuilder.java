package org.lance4j.graph;

import java.util.ArrayList;
import java.util.List;
import org.lance4j.tensor.Shape;

/**
 * Fluent construction of a {@link ModelSpec}; every method adds one node and returns its name so
 * that residual wiring reads naturally: {@code String y = b.add("add1", b.bn("bn2", c2), x);}.
 */
public final class SpecBuilder {
    private final String name;
    private final Shape input;
    private final List<ModelSpec.Node> nodes = new ArrayList<>();

    public SpecBuilder(String name, int c, int h, int w) {
        this.name = name;
        this.input = Shape.of(c, h, w);
    }

    public String node(String n, LayerSpec layer, String... inputs) {
        nodes.add(new ModelSpec.Node(n, layer, List.of(inputs)));
        return n;
    }

    public String conv(String n, String in, int out, int k, int stride, int pad, int groups, boolean bias) {
        return node(n, new LayerSpec.Conv(out, k, stride, pad, groups, bias), in);
    }

    public String bn(String n, String in) {
        return node(n, LayerSpec.BatchNorm.standard(), in);
    }

    public String relu(String n, String in) {
        return node(n, new LayerSpec.Relu(), in);
    }

    public String relu6(String n, String in) {
        return node(n, new LayerSpec.Relu6(), in);
    }

    public String add(String n, String a, String b) {
        return node(n, new LayerSpec.Add(), a, b);
    }

    public String maxPool(String n, String in, int k, int stride, int pad) {
        return node(n, new LayerSpec.MaxPool(k, stride, pad), in);
    }

    public String avgPool(String n, String in, int k, int stride, int pad) {
        return node(n, new LayerSpec.AvgPool(k, stride, pad), in);
    }

    public String gap(String n, String in) {
        return node(n, new LayerSpec.GlobalAvgPool(), in);
    }

    public String flatten(String n, String in) {
        return node(n, new LayerSpec.Flatten(), in);
    }

    public String linear(String n, String in, int out, boolean bias) {
        return node(n, new LayerSpec.Linear(out, bias), in);
    }

    public String dropout(String n, String in, float p) {
        return node(n, new LayerSpec.Dropout(p), in);
    }

    public ModelSpec build() {
        return new ModelSpec(name, input, nodes);
    }
}
