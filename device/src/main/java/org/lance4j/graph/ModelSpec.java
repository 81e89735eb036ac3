package org.lance4j.graph;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.lance4j.tensor.Shape;

/**
 * A model architecture as a DAG of named nodes in topological (definition) order. The first input is
 * the pseudo-node {@value #INPUT} of per-item shape (C, H, W); the last node is the output.
 * Text format (one node a line, {@code #} comments):
 * <pre>
 * lance4j-spec 1
 * name tiny-resnet
 * input 3 16 16
 * conv1 = conv out=8 k=3 s=1 p=1 g=1 bias=0 : input
 * bn1 = bn eps=1.0E-5 momentum=0.1 affine=1 track=1 : conv1
 * add1 = add : relu1 bn2
 * </pre>
 */
public final class ModelSpec {
    public static final String INPUT = "input";
    public static final String MAGIC = "lance4j-spec";
    public static final int VERSION = 1;

    public record Node(String name, LayerSpec layer, List<String> inputs) {
        public Node {
            inputs = List.copyOf(inputs);
        }
    }

    private final String name;
    private final Shape input;
    private final List<Node> nodes;
    private final Map<String, Shape> shapes;

    public ModelSpec(String name, Shape input, List<Node> nodes) {
        this.name = name;
        this.input = input;
        this.nodes = List.copyOf(nodes);
        this.shapes = inferShapes();
    }

    private Map<String, Shape> inferShapes() {
        if (nodes.isEmpty()) throw new IllegalArgumentException("model spec '" + name + "' has no nodes");
        Map<String, Shape> s = new LinkedHashMap<>();
        s.put(INPUT, input);
        for (Node n : nodes) {
            if (n.name.equals(INPUT) || s.containsKey(n.name)) {
                throw new IllegalArgumentException("node name '" + n.name + "' is used twice");
            }
            if (!n.name.matches("[A-Za-z0-9_.\\-]+")) {
                throw new IllegalArgumentException("node name '" + n.name + "' may contain only letters, digits, _ . -");
            }
            if (n.inputs.size() != n.layer.arity()) {
                throw new IllegalArgumentException("node '" + n.name + "' (" + n.layer.toText() + ") needs "
                        + n.layer.arity() + " input(s), got " + n.inputs);
            }
            Shape[] in = new Shape[n.inputs.size()];
            for (int i = 0; i < in.length; i++) {
                in[i] = s.get(n.inputs.get(i));
                if (in[i] == null) {
                    throw new IllegalArgumentException("node '" + n.name + "' reads '" + n.inputs.get(i)
                            + "', which is not defined before it");
                }
            }
            try {
                s.put(n.name, n.layer.outShape(in));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("node '" + n.name + "': " + e.getMessage(), e);
            }
        }
        return Collections.unmodifiableMap(s);
    }

    public String name() {
        return name;
    }

    /** Per-item input shape (C, H, W). */
    public Shape input() {
        return input;
    }

    public List<Node> nodes() {
        return nodes;
    }

    public Node output() {
        return nodes.get(nodes.size() - 1);
    }

    /** Per-item shape of a node's output (or of {@value #INPUT}). */
    public Shape shape(String node) {
        Shape s = shapes.get(node);
        if (s == null) throw new IllegalArgumentException("no node '" + node + "'");
        return s;
    }

    public Shape[] inputShapes(Node n) {
        Shape[] in = new Shape[n.inputs.size()];
        for (int i = 0; i < in.length; i++) in[i] = shapes.get(n.inputs.get(i));
        return in;
    }

    /** Names of nodes that read a given node's output, in definition order. */
    public List<String> consumers(String node) {
        List<String> out = new ArrayList<>();
        for (Node n : nodes) if (n.inputs.contains(node)) out.add(n.name);
        return out;
    }

    /** Classifier heads: linear nodes whose output no node reads. */
    public List<String> heads() {
        Set<String> read = new HashSet<>();
        for (Node n : nodes) read.addAll(n.inputs);
        List<String> h = new ArrayList<>();
        for (Node n : nodes) if (n.layer instanceof LayerSpec.Linear && !read.contains(n.name)) h.add(n.name);
        return h;
    }

    public String toText() {
        StringBuilder sb = new StringBuilder();
        sb.append(MAGIC).append(' ').append(VERSION).append('\n');
        sb.append("name ").append(name).append('\n');
        sb.append("input");
        for (int d : input.dims()) sb.append(' ').append(d);
        sb.append('\n');
        for (Node n : nodes) {
            sb.append(n.name).append(" = ").append(n.layer.toText()).append(" :");
            for (String i : n.inputs) sb.append(' ').append(i);
            sb.append('\n');
        }
        return sb.toString();
    }

    /** Parses the text format; errors name the line and what to fix. */
    public static ModelSpec parse(String text) {
        String[] lines = text.split("\n", -1);
        String name = null;
        Shape input = null;
        List<Node> nodes = new ArrayList<>();
        boolean header = false;
        for (int ln = 0; ln < lines.length; ln++) {
            String line = lines[ln].strip();
            int hash = line.indexOf('#');
            if (hash >= 0) line = line.substring(0, hash).strip();
            if (line.isEmpty()) continue;
            try {
                if (!header) {
                    String[] h = line.split("\\s+");
                    if (h.length != 2 || !h[0].equals(MAGIC)) {
                        throw new IllegalArgumentException("expected '" + MAGIC + " " + VERSION + "' as the first line");
                    }
                    if (Integer.parseInt(h[1]) != VERSION) {
                        throw new IllegalArgumentException("spec version " + h[1] + " is not supported (this build reads "
                                + VERSION + "); use a matching lance4j version");
                    }
                    header = true;
                } else if (line.startsWith("name ")) {
                    name = line.substring(5).strip();
                } else if (line.startsWith("input ")) {
                    String[] d = line.substring(6).strip().split("\\s+");
                    int[] dims = new int[d.length];
                    for (int i = 0; i < d.length; i++) dims[i] = Integer.parseInt(d[i]);
                    input = Shape.of(dims);
                } else {
                    Node node = parseNode(line);
                    for (String in : node.inputs()) {
                        if (!in.equals(INPUT) && nodes.stream().noneMatch(x -> x.name().equals(in))) {
                            throw new IllegalArgumentException("reads '" + in + "', which is not defined on an earlier line");
                        }
                    }
                    nodes.add(node);
                }
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("model spec line " + (ln + 1) + " '" + lines[ln].strip() + "': " + e.getMessage(), e);
            }
        }
        if (!header) throw new IllegalArgumentException("model spec is empty; expected '" + MAGIC + " " + VERSION + "'");
        if (name == null) throw new IllegalArgumentException("model spec has no 'name' line");
        if (input == null) throw new IllegalArgumentException("model spec has no 'input C H W' line");
        return new ModelSpec(name, input, nodes);
    }

    private static Node parseNode(String line) {
        int eq = line.indexOf('='), colon = line.lastIndexOf(':');
        if (eq < 0 || colon < eq) throw new IllegalArgumentException("expected 'NAME = OP key=value ... : INPUTS'");
        String nodeName = line.substring(0, eq).strip();
        String[] body = line.substring(eq + 1, colon).strip().split("\\s+");
        Map<String, String> args = new HashMap<>();
        for (int i = 1; i < body.length; i++) {
            int e = body[i].indexOf('=');
            if (e <= 0) throw new IllegalArgumentException("argument '" + body[i] + "' is not key=value");
            args.put(body[i].substring(0, e), body[i].substring(e + 1));
        }
        String ins = line.substring(colon + 1).strip();
        List<String> inputs = ins.isEmpty() ? List.of() : List.of(ins.split("\\s+"));
        return new Node(nodeName, LayerSpec.parse(body[0], args), inputs);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ModelSpec m && m.toText().equals(toText());
    }

    @Override
    public int hashCode() {
        return toText().hashCode();
    }
}
