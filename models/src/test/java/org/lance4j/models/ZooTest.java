package org.lance4j.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.lance4j.graph.Model;
import org.lance4j.graph.ModelSpec;
import org.lance4j.graph.TrainableRule;
import org.lance4j.tensor.Shape;

/** Parameter counts against the standard definitions; shapes; the trainable rule on real nets. */
class ZooTest {
    static long params(String name, Zoo.Options o) {
        return new Model(Zoo.build(name, o)).parameterCount();
    }

    @Test
    void torchvisionParameterCounts() {
        // torchvision.models.{resnet18, resnet34, mobilenet_v2}() at 224 px, 1000 classes
        Zoo.Options imagenet = Zoo.Options.of(3, 224, 1000);
        assertEquals(11_689_512L, params("resnet18", imagenet));
        assertEquals(21_797_672L, params("resnet34", imagenet));
        assertEquals(3_504_872L, params("mobilenetv2", imagenet));
        // mobilenet_v2(width_mult=0.5): 1,968,680 (torchvision)
        assertEquals(1_968_680L, params("mobilenetv2", imagenet.withWidth(0.5f)));
        // the small-input variants differ only in the stem: resnet18 with a 3×3 stem, 10 classes
        // (11,173,962, the usual CIFAR ResNet18 count)
        assertEquals(11_173_962L, params("resnet18", Zoo.Options.of(3, 32, 10)));
    }

    @Test
    void continualLearningNetsMatchGpmCounts() {
        // GPM AlexNet on 32×32×3, 10 tasks × 10 classes: conv 3·64·16 + 64·128·9 + 128·256·4, BN 2·(64+128+256),
        // fc 1024·2048 + 2048·2048, BN 2·2·2048, heads 10·2048·10
        long alex = 3 * 64 * 16 + 64 * 128 * 9 + 128 * 256 * 4 + 2 * (64 + 128 + 256)
                + 1024 * 2048 + 2048 * 2048 + 4 * 2048 + 10 * 2048 * 10;
        assertEquals(alex, params("alexnet-cl", Zoo.Options.of(3, 32, 10).withHeads(10)));
        // GPM's reduced ResNet18 (nf = 20, 5 bias-free heads of 10) counted by PyTorch from GPM's definition: 1,125,140
        assertEquals(1_125_140L, params("resnet18-reduced", Zoo.Options.of(3, 32, 10).withHeads(5)));
    }

    @Test
    void everyModelBuildsAtSmallAndLargeInputs() {
        for (String n : Zoo.NAMES) {
            for (int size : new int[] {28, 32, 64}) {
                ModelSpec s = Zoo.build(n, Zoo.Options.of(n.contains("resnet") || n.equals("mobilenetv2") ? 3 : 1, size, 10));
                assertEquals(Shape.of(10), s.shape(s.output().name()), n + " at " + size);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> Zoo.build("vgg", Zoo.Options.of(3, 32, 10)));
    }

    @Test
    void lastConvsRuleSkipsDepthwise() {
        ModelSpec mb = Zoo.build("mobilenetv2", Zoo.Options.of(3, 32, 10));
        assertEquals(List.of("features.17.conv.2", "features.18.0", "classifier.1"), List.copyOf(TrainableRule.lastConvs(2).select(mb)));
        ModelSpec r = Zoo.build("resnet18", Zoo.Options.of(3, 32, 10));
        assertEquals(List.of("layer4.1.conv1", "layer4.1.conv2", "fc"), List.copyOf(TrainableRule.lastConvs(2).select(r)));
    }
}
