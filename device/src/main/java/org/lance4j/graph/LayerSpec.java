package org.lance4j.graph;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.lance4j.nn.Conv2d;
import org.lance4j.tensor.Shape;

/**
 * What a node computes, declaratively: enough to infer shapes, declare parameters and build the
 * runtime layer. Shapes here are per item, without the batch: (C, H, W) or (F). Each spec prints as
 * one line of the model-spec text format ({@link #toText()}) and parses back ({@link #parse}).
 */
public sealed interface LayerSpec {

    /** Number of inputs. */
    default int arity() {
        return 1;
    }

    Shape outShape(Shape[] in);

    default List<ParamDecl> params(Shape[] in) {
        return List.of();
    }

    String toText();

    /** A parameter a layer declares; fanIn drives the default initialization. */
    record ParamDecl(String suffix, Shape shape, ParamKind kind, int fanIn) { }

    enum ParamKind {
        WEIGHT, BIAS, BN_WEIGHT, BN_BIAS, RUNNING_MEAN, RUNNING_VAR;

        /** Running statistics are state, never trained. */
        public boolean trainable() {
            return this != RUNNING_MEAN && this != RUNNING_VAR;
        }
    }

    record Conv(int out, int k, int stride, int pad, int groups, boolean bias) implements LayerSpec {
        public Conv {
            if (out < 1 || k < 1 || stride < 1 || pad < 0 || groups < 1) {
                throw new IllegalArgumentException("conv needs out, k, stride, groups ≥ 1 and pad ≥ 0: " + this);
            }
        }

        @Override
        public Shape outShape(Shape[] in) {
            Shape x = need4(in[0], "conv");
            if (x.dim(0) % groups != 0 || out % groups != 0) {
                throw new IllegalArgumentException("conv with groups=" + groups + " needs in (" + x.dim(0) + ") and out ("
                        + out + ") channels divisible by groups");
            }
            int oh = Conv2d.outSize(x.dim(1), k, stride, pad), ow = Conv2d.outSize(x.dim(2), k, stride, pad);
            if (oh < 1 || ow < 1) throw new IllegalArgumentException("conv k=" + k + " does not fit input " + x);
            return Shape.of(out, oh, ow);
        }

        @Override
        public List<ParamDecl> params(Shape[] in) {
            int cg = in[0].dim(0) / groups;
            int fanIn = cg * k * k;
            ParamDecl w = new ParamDecl("weight", Shape.of(out, cg, k, k), ParamKind.WEIGHT, fanIn);
            return bias ? List.of(w, new ParamDecl("bias", Shape.of(out), ParamKind.BIAS, fanIn)) : List.of(w);
        }

        /** Depthwise for a given input channel count. */
        public boolean isDepthwise(int inChannels) {
            return groups > 1 && groups == inChannels && out == inChannels;
        }

        @Override
        public String toText() {
            return String.format(Locale.ROOT, "conv out=%d k=%d s=%d p=%d g=%d bias=%d", out, k, stride, pad, groups, bias ? 1 : 0);
        }
    }

    record BatchNorm(float eps, float momentum, boolean affine, boolean trackRunningStats) implements LayerSpec {
        public static BatchNorm standard() {
            return new BatchNorm(1e-5f, 0.1f, true, true);
        }

        /** (C, H, W) normalizes per channel over batch and space; (F) per feature over the batch (BatchNorm1d). */
        @Override
        public Shape outShape(Shape[] in) {
            if (in[0].rank() != 3 && in[0].rank() != 1) {
                throw new IllegalArgumentException("bn needs a (C, H, W) or (F) input per item, got " + in[0]);
            }
            return in[0];
        }

        @Override
        public List<ParamDecl> params(Shape[] in) {
            Shape c = Shape.of(in[0].dim(0));
            java.util.ArrayList<ParamDecl> ps = new java.util.ArrayList<>();
            if (affine) {
                ps.add(new ParamDecl("weight", c, ParamKind.BN_WEIGHT, 1));
                ps.add(new ParamDecl("bias", c, ParamKind.BN_BIAS, 1));
            }
            if (trackRunningStats) {
                ps.add(new ParamDecl("running_mean", c, ParamKind.RUNNING_MEAN, 1));
                ps.add(new ParamDecl("running_var", c, ParamKind.RUNNING_VAR, 1));
            }
            return ps;
        }

        @Override
        public String toText() {
            return String.format(Locale.ROOT, "bn eps=%s momentum=%s affine=%d track=%d", Float.toString(eps),
                    Float.toString(momentum), affine ? 1 : 0, trackRunningStats ? 1 : 0);
        }
    }

    record Relu() implements LayerSpec {
        @Override
        public Shape outShape(Shape[] in) {
            return in[0];
        }

        @Override
        public String toText() {
            return "relu";
        }
    }

    record Relu6() implements LayerSpec {
        @Override
        public Shape outShape(Shape[] in) {
            return in[0];
        }

        @Override
        public String toText() {
            return "relu6";
        }
    }

    record Add() implements LayerSpec {
        @Override
        public int arity() {
            return 2;
        }

        @Override
        public Shape outShape(Shape[] in) {
            if (!in[0].equals(in[1])) {
                throw new IllegalArgumentException("add needs equal shapes, got " + in[0] + " and " + in[1]);
            }
            return in[0];
        }

        @Override
        public String toText() {
            return "add";
        }
    }

    record MaxPool(int k, int stride, int pad) implements LayerSpec {
        @Override
        public Shape outShape(Shape[] in) {
            return poolOut(in[0], k, stride, pad, "maxpool");
        }

        @Override
        public String toText() {
            return String.format(Locale.ROOT, "maxpool k=%d s=%d p=%d", k, stride, pad);
        }
    }

    record AvgPool(int k, int stride, int pad) implements LayerSpec {
        @Override
        public Shape outShape(Shape[] in) {
            return poolOut(in[0], k, stride, pad, "avgpool");
        }

        @Override
        public String toText() {
            return String.format(Locale.ROOT, "avgpool k=%d s=%d p=%d", k, stride, pad);
        }
    }

    record GlobalAvgPool() implements LayerSpec {
        @Override
        public Shape outShape(Shape[] in) {
            return Shape.of(need4(in[0], "gap").dim(0));
        }

        @Override
        public String toText() {
            return "gap";
        }
    }

    record Flatten() implements LayerSpec {
        @Override
        public Shape outShape(Shape[] in) {
            return Shape.of(in[0].size());
        }

        @Override
        public String toText() {
            return "flatten";
        }
    }

    record Linear(int out, boolean bias) implements LayerSpec {
        @Override
        public Shape outShape(Shape[] in) {
            if (in[0].rank() != 1) {
                throw new IllegalArgumentException("linear needs a (F) input per item, got " + in[0] + "; add flatten or gap before it");
            }
            return Shape.of(out);
        }

        @Override
        public List<ParamDecl> params(Shape[] in) {
            int f = in[0].dim(0);
            ParamDecl w = new ParamDecl("weight", Shape.of(out, f), ParamKind.WEIGHT, f);
            return bias ? List.of(w, new ParamDecl("bias", Shape.of(out), ParamKind.BIAS, f)) : List.of(w);
        }

        @Override
        public String toText() {
            return String.format(Locale.ROOT, "linear out=%d bias=%d", out, bias ? 1 : 0);
        }
    }

    record Dropout(float p) implements LayerSpec {
        public Dropout {
            if (!(p >= 0f && p < 1f)) throw new IllegalArgumentException("dropout p must be in [0, 1), got " + p);
        }

        @Override
        public Shape outShape(Shape[] in) {
            return in[0];
        }

        @Override
        public String toText() {
            return String.format(Locale.ROOT, "dropout p=%s", Float.toString(p));
        }
    }

    private static Shape need4(Shape s, String op) {
        if (s.rank() != 3) throw new IllegalArgumentException(op + " needs a (C, H, W) input per item, got " + s);
        return s;
    }

    private static Shape poolOut(Shape s, int k, int stride, int pad, String op) {
        need4(s, op);
        if (pad * 2 > k) throw new IllegalArgumentException(op + ": padding " + pad + " must be at most half the kernel " + k);
        int oh = Conv2d.outSize(s.dim(1), k, stride, pad), ow = Conv2d.outSize(s.dim(2), k, stride, pad);
        if (oh < 1 || ow < 1) throw new IllegalArgumentException(op + " k=" + k + " does not fit input " + s);
        return Shape.of(s.dim(0), oh, ow);
    }

    /** Parses one op with its key=value arguments, as printed by {@link #toText()}. */
    static LayerSpec parse(String op, Map<String, String> a) {
        return switch (op) {
            case "conv" -> new Conv(i(a, "out"), i(a, "k"), i(a, "s"), i(a, "p"), i(a, "g"), b(a, "bias"));
            case "bn" -> new BatchNorm(f(a, "eps"), f(a, "momentum"), b(a, "affine"), b(a, "track"));
            case "relu" -> new Relu();
            case "relu6" -> new Relu6();
            case "add" -> new Add();
            case "maxpool" -> new MaxPool(i(a, "k"), i(a, "s"), i(a, "p"));
            case "avgpool" -> new AvgPool(i(a, "k"), i(a, "s"), i(a, "p"));
            case "gap" -> new GlobalAvgPool();
            case "flatten" -> new Flatten();
            case "linear" -> new Linear(i(a, "out"), b(a, "bias"));
            case "dropout" -> new Dropout(f(a, "p"));
            default -> throw new IllegalArgumentException("unknown op '" + op + "'");
        };
    }

    private static String get(Map<String, String> a, String key) {
        String v = a.get(key);
        if (v == null) throw new IllegalArgumentException("missing argument " + key + "=");
        return v;
    }

    private static int i(Map<String, String> a, String key) {
        return Integer.parseInt(get(a, key));
    }

    private static float f(Map<String, String> a, String key) {
        return Float.parseFloat(get(a, key));
    }

    private static boolean b(Map<String, String> a, String key) {
        String v = get(a, key);
        if (!v.equals("0") && !v.equals("1")) throw new IllegalArgumentException(key + " must be 0 or 1, got " + v);
        return v.equals("1");
    }
}
