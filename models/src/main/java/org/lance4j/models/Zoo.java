package org.lance4j.models;

import java.util.List;
import java.util.Locale;
import org.lance4j.graph.LayerSpec;
import org.lance4j.graph.ModelSpec;
import org.lance4j.graph.SpecBuilder;

/**
 * The model zoo, as declarative specs. Node names follow torchvision's module paths, so parameter
 * names equal PyTorch {@code state_dict} keys ({@code layer1.0.conv1.weight}, {@code features.3.conv.1.0.weight}).
 *
 * <ul>
 *   <li>{@code smallcnn}: the default small model (see {@link #smallCnn}).</li>
 *   <li>{@code resnet18}, {@code resnet34}: torchvision's ResNet (BasicBlock, [2,2,2,2] / [3,4,6,3]);
 *       small-input variant: 3×3 stride-1 stem without max pooling (the usual CIFAR adaptation).</li>
 *   <li>{@code mobilenetv2}: torchvision's MobileNetV2 with width multiplier (channels rounded to
 *       multiples of 8); small-input variant: stem stride 1 and the 24-channel stage stride 1.</li>
 *   <li>{@code mcunet}: a small MCUNet-like inverted-residual network (ours; see {@link #mcunet}).</li>
 *   <li>{@code alexnet-cl}: GPM's AlexNet-like continual-learning net, one head per task.</li>
 *   <li>{@code resnet18-reduced}: GPM's reduced ResNet18 (nf = 20, BN without running statistics),
 *       one head per task.</li>
 * </ul>
 */
public final class Zoo {
    public static final List<String> NAMES = List.of("smallcnn", "mcunet", "mobilenetv2", "resnet18", "resnet34", "alexnet-cl",
            "resnet18-reduced");
    /**
     * The default small model, pretrained by the demo: a plain CNN. Measured on one core here, a training
     * step of the MCUNet-like net at 28 px runs at 303 images/s against 638 for this one: depthwise and
     * BN layers on small planes are memory-bound on a CPU, so the plain net reaches the same accuracy
     * in half the time.
     */
    public static final String DEFAULT = "smallcnn";

    /**
     * @param channels   input channels
     * @param size       input height = width
     * @param classes    classes per head
     * @param width      width multiplier (MobileNetV2, MCUNet-like); 1 = standard
     * @param smallInput the small-input stem (automatic below 64 pixels when null)
     * @param heads      classifier heads (one per task for the continual-learning nets; 1 otherwise)
     */
    public record Options(int channels, int size, int classes, float width, Boolean smallInput, int heads) {
        public Options {
            if (channels < 1 || size < 8 || classes < 2 || !(width > 0f) || heads < 1) {
                throw new IllegalArgumentException("model options need channels ≥ 1, --input ≥ 8, ≥ 2 classes, width > 0, ≥ 1 head: " + this);
            }
        }

        public static Options of(int channels, int size, int classes) {
            return new Options(channels, size, classes, 1f, null, 1);
        }

        public Options withWidth(float w) {
            return new Options(channels, size, classes, w, smallInput, heads);
        }

        public Options withSmallInput(boolean s) {
            return new Options(channels, size, classes, width, s, heads);
        }

        public Options withHeads(int h) {
            return new Options(channels, size, classes, width, smallInput, h);
        }

        boolean small() {
            return smallInput != null ? smallInput : size < 64;
        }
    }

    private Zoo() { }

    public static ModelSpec build(String name, Options o) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "resnet18" -> resnet("resnet18", new int[] {2, 2, 2, 2}, 64, o, true, true);
            case "resnet34" -> resnet("resnet34", new int[] {3, 4, 6, 3}, 64, o, true, true);
            case "resnet18-reduced" -> resnet("resnet18-reduced", new int[] {2, 2, 2, 2}, 20, o, false, false);
            case "mobilenetv2" -> mobilenetV2(o);
            case "mcunet" -> mcunet(o);
            case "smallcnn" -> smallCnn(o);
            case "alexnet-cl" -> alexnetCl(o);
            default -> throw new IllegalArgumentException("--model " + name + " is not one of " + NAMES);
        };
    }

    /** Head node names: {@code fc} / {@code classifier.1} for one head, {@code head0..} for several. */
    private static void heads(SpecBuilder b, String in, Options o, String single, boolean bias) {
        if (o.heads() == 1) {
            b.linear(single, in, o.classes(), bias);
        } else {
            for (int t = 0; t < o.heads(); t++) b.linear("head" + t, in, o.classes(), bias);
        }
    }

    // ---------------------------------------------------------------- ResNet

    /**
     * torchvision ResNet with BasicBlocks when {@code torchvision}; GPM's reduced ResNet18 otherwise
     * (3×3 stem, BN without running statistics, 2×2 average pooling before the head, no bias).
     */
    static ModelSpec resnet(String name, int[] blocks, int nf, Options o, boolean torchvision, boolean trackStats) {
        SpecBuilder b = new SpecBuilder(name, o.channels(), o.size(), o.size());
        LayerSpec.BatchNorm bn = new LayerSpec.BatchNorm(1e-5f, 0.1f, true, trackStats);
        String x;
        if (torchvision && !o.small()) {
            x = b.conv("conv1", ModelSpec.INPUT, nf, 7, 2, 3, 1, false);
            x = b.relu("relu", b.node("bn1", bn, x));
            x = b.maxPool("maxpool", x, 3, 2, 1);
        } else {
            x = b.conv("conv1", ModelSpec.INPUT, nf, 3, 1, 1, 1, false);
            x = b.relu("relu", b.node("bn1", bn, x));
        }
        int inplanes = nf;
        for (int stage = 0; stage < 4; stage++) {
            int planes = nf << stage;
            for (int i = 0; i < blocks[stage]; i++) {
                int stride = i == 0 && stage > 0 ? 2 : 1;
                String p = "layer" + (stage + 1) + "." + i + ".";
                String y = b.conv(p + "conv1", x, planes, 3, stride, 1, 1, false);
                y = b.relu(p + "relu1", b.node(p + "bn1", bn, y));
                y = b.node(p + "bn2", bn, b.conv(p + "conv2", y, planes, 3, 1, 1, 1, false));
                String sc = x;
                if (stride != 1 || inplanes != planes) {
                    sc = b.node(p + "downsample.1", bn, b.conv(p + "downsample.0", x, planes, 1, stride, 0, 1, false));
                }
                x = b.relu(p + "relu2", b.add(p + "add", y, sc));
                inplanes = planes;
            }
        }
        if (torchvision) {
            heads(b, b.gap("avgpool", x), o, "fc", true);
        } else {
            heads(b, b.flatten("flatten", b.avgPool("avgpool", x, 2, 2, 0)), o, "linear", false);
        }
        return b.build();
    }

    // ---------------------------------------------------------------- MobileNetV2

    /** torchvision's _make_divisible: round to a multiple of 8, never more than 10% down. */
    static int makeDivisible(float v, int divisor) {
        int nv = Math.max(divisor, (int) (v + divisor / 2f) / divisor * divisor);
        if (nv < 0.9f * v) nv += divisor;
        return nv;
    }

    static ModelSpec mobilenetV2(Options o) {
        int[][] settings = {{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2}, {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
        if (o.small()) settings[1][3] = 1;
        SpecBuilder b = new SpecBuilder(o.width() == 1f ? "mobilenetv2" : "mobilenetv2-w" + o.width(), o.channels(), o.size(), o.size());
        int input = makeDivisible(32 * o.width(), 8);
        int last = makeDivisible(1280 * Math.max(1f, o.width()), 8);
        String x = b.relu6("features.0.2", b.bn("features.0.1",
                b.conv("features.0.0", ModelSpec.INPUT, input, 3, o.small() ? 1 : 2, 1, 1, false)));
        int idx = 1;
        for (int[] s : settings) {
            int out = makeDivisible(s[1] * o.width(), 8);
            for (int i = 0; i < s[2]; i++) {
                x = invertedResidual(b, "features." + idx++ + ".", x, input, out, i == 0 ? s[3] : 1, s[0], 3);
                input = out;
            }
        }
        x = b.relu6("features." + idx + ".2", b.bn("features." + idx + ".1",
                b.conv("features." + idx + ".0", x, last, 1, 1, 0, 1, false)));
        x = b.dropout("classifier.0", b.gap("pool", x), 0.2f);
        heads(b, x, o, "classifier.1", true);
        return b.build();
    }

    /** torchvision's InvertedResidual: [1×1 expand, BN, ReLU6], k×k depthwise, BN, ReLU6, 1×1 project, BN (+ input). */
    static String invertedResidual(SpecBuilder b, String p, String x, int inp, int out, int stride, int t, int k) {
        int hidden = Math.round(inp * (float) t);
        String y = x;
        int q = 0;
        if (t != 1) {
            y = b.relu6(p + "conv.0.2", b.bn(p + "conv.0.1", b.conv(p + "conv.0.0", y, hidden, 1, 1, 0, 1, false)));
            q = 1;
        }
        y = b.relu6(p + "conv." + q + ".2", b.bn(p + "conv." + q + ".1",
                b.conv(p + "conv." + q + ".0", y, hidden, k, stride, k / 2, hidden, false)));
        y = b.bn(p + "conv." + (q + 2), b.conv(p + "conv." + (q + 1), y, out, 1, 1, 0, 1, false));
        return stride == 1 && inp == out ? b.add(p + "add", y, x) : y;
    }

    // ---------------------------------------------------------------- small CNN

    /**
     * Five 3×3 conv-BN-ReLU layers of 16, 32 (stride 2), 32, 64 (stride 2), 64 channels (width
     * multiplier applies), flattened into the head. At 28 px: 5.53 M multiply-adds per image (5 classes: 5.55 M).
     */
    static ModelSpec smallCnn(Options o) {
        SpecBuilder b = new SpecBuilder(o.width() == 1f ? "smallcnn" : "smallcnn-w" + o.width(), o.channels(), o.size(), o.size());
        int[] ch = {16, 32, 32, 64, 64}, st = {1, 2, 1, 2, 1};
        String x = ModelSpec.INPUT;
        for (int i = 0; i < ch.length; i++) {
            String n = String.valueOf(i + 1);
            x = b.conv("conv" + n, x, makeDivisible(ch[i] * o.width(), 8), 3, st[i], 1, 1, false);
            x = b.relu("relu" + n, b.bn("bn" + n, x));
        }
        heads(b, b.flatten("flatten", x), o, "fc", true);
        return b.build();
    }

    // ---------------------------------------------------------------- MCUNet-like

    /**
     * A small MCUNet-style inverted-residual network (ours, in the spirit of MCUNet's searched
     * backbones): stem 3×3 conv to 16, then stages (expansion t, channels c, blocks n, stride s,
     * kernel k) = (1,16,1,1,3), (4,24,2,2,3), (4,40,2,2,5), (4,64,2,2,3), (4,96,1,1,3), a 1×1 conv to
     * 160, global pooling and the head; ReLU6 throughout. For large inputs the stem has stride 2; for
     * small inputs (28/32 px) the stem keeps stride 1 and the first stage has stride 2. The width
     * multiplier scales every stage.
     */
    static ModelSpec mcunet(Options o) {
        int[][] stages = {{1, 16, 1, 1, 3}, {4, 24, 2, 2, 3}, {4, 40, 2, 2, 5}, {4, 64, 2, 2, 3}, {4, 96, 1, 1, 3}};
        // small inputs: the stem keeps full resolution and the first stage downsamples instead, so only
        // one layer runs at full resolution (at 28 px: 28 → 14 → 7 → 4 → 2)
        if (o.small()) stages[0][3] = 2;
        SpecBuilder b = new SpecBuilder(o.width() == 1f ? "mcunet" : "mcunet-w" + o.width(), o.channels(), o.size(), o.size());
        int input = makeDivisible(16 * o.width(), 8);
        String x = b.relu6("features.0.2", b.bn("features.0.1",
                b.conv("features.0.0", ModelSpec.INPUT, input, 3, o.small() ? 1 : 2, 1, 1, false)));
        int idx = 1;
        for (int[] s : stages) {
            int out = makeDivisible(s[1] * o.width(), 8);
            for (int i = 0; i < s[2]; i++) {
                x = invertedResidual(b, "features." + idx++ + ".", x, input, out, i == 0 ? s[3] : 1, s[0], s[4]);
                input = out;
            }
        }
        int last = makeDivisible(160 * o.width(), 8);
        x = b.relu6("features." + idx + ".2", b.bn("features." + idx + ".1",
                b.conv("features." + idx + ".0", x, last, 1, 1, 0, 1, false)));
        heads(b, b.gap("pool", x), o, "classifier", true);
        return b.build();
    }

    // ---------------------------------------------------------------- AlexNet-like (GPM)

    /**
     * GPM's AlexNet-like continual-learning net: conv 64 k4, 128 k3, 256 k2 (no bias, BN without
     * running statistics, ReLU, dropout 0.2/0.2/0.5, 2×2 max pooling), then fc 2048, 2048 (no bias,
     * BN, ReLU, dropout 0.5), and one bias-free linear head per task.
     */
    static ModelSpec alexnetCl(Options o) {
        SpecBuilder b = new SpecBuilder("alexnet-cl", o.channels(), o.size(), o.size());
        LayerSpec.BatchNorm bn = new LayerSpec.BatchNorm(1e-5f, 0.1f, true, false);
        int[] ch = {64, 128, 256}, k = {4, 3, 2};
        float[] drop = {0.2f, 0.2f, 0.5f};
        String x = ModelSpec.INPUT;
        for (int i = 0; i < 3; i++) {
            String n = String.valueOf(i + 1);
            x = b.conv("conv" + n, x, ch[i], k[i], 1, 0, 1, false);
            x = b.relu("relu" + n, b.node("bn" + n, bn, x));
            x = b.maxPool("pool" + n, b.dropout("drop" + n, x, drop[i]), 2, 2, 0);
        }
        x = b.flatten("flatten", x);
        for (int i = 1; i <= 2; i++) {
            x = b.linear("fc" + i, x, 2048, false);
            x = b.dropout("drop_fc" + i, b.relu("relu_fc" + i, b.node("bn_fc" + i, bn, x)), 0.5f);
        }
        heads(b, x, o, "head", false);
        return b.build();
    }

    /** For error messages and help. */
    public static String describe() {
        return String.join(", ", NAMES) + " (default " + DEFAULT + ")";
    }

}
