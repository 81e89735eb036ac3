package org.lance4j.cli;

import java.nio.file.Path;
import org.lance4j.app.FashionMnist;
import picocli.CommandLine.Option;

/**
 * The split protocol's options shared by {@code experiment finetune} and {@code experiment energy}:
 * subset sizes, epochs, calibration batches, the model cache, seed and JSON. Each command gives its
 * own --quick sizes ({@link Quick}); an option given explicitly always wins.
 */
final class ProtocolOptions {
    /** What --quick means for one command; 0 images = all. */
    record Quick(int pretrainImages, int pretrainEpochs, int trainImages, int testImages, int epochs, int calibrationBatches) { }

    /** Without --quick: every image, 3 pretraining epochs, 2 fine-tuning epochs, K = 100 (the paper's). */
    static final Quick FULL = new Quick(0, 3, 0, 0, 2, 100);

    @Option(names = "--quick", description = "Subsets and 1 fine-tuning epoch (sizes in the command's description); still every method.")
    boolean quick;

    @Option(names = "--cache", description = "Where pretrained models are cached (default: ~/.cache/lance4j/experiment or $LANCE4J_CACHE/experiment).")
    Path cache;

    @Option(names = "--pretrain-images", description = "Pretraining images of classes 0-4 (default: all 30000).")
    Integer pretrainImages;

    @Option(names = "--pretrain-epochs", description = "Pretraining epochs (default 3).")
    Integer pretrainEpochs;

    @Option(names = "--train-images", description = "Fine-tuning images of classes 5-9 (default: all 30000).")
    Integer trainImages;

    @Option(names = "--test-images", description = "Test images per split (default: all 5000).")
    Integer testImages;

    @Option(names = "--epochs", description = "Fine-tuning epochs (default 2).")
    Integer epochs;

    @Option(names = "--calibration-batches", description = "LANCE calibration batches K (default 100).")
    Integer calibrationBatches;

    @Option(names = "--seed", defaultValue = "233", description = "Seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--json", description = "Print exactly one JSON object on stdout.")
    boolean json;

    /** The sizes in force: explicit options, else the command's quick sizes with --quick, else {@link #FULL}. */
    Quick resolve(Quick quickSizes) {
        Quick d = quick ? quickSizes : FULL;
        return new Quick(or(pretrainImages, d.pretrainImages()), or(pretrainEpochs, d.pretrainEpochs()), or(trainImages, d.trainImages()),
                or(testImages, d.testImages()), or(epochs, d.epochs()), or(calibrationBatches, d.calibrationBatches()));
    }

    Path cacheDir() {
        return cache != null ? cache : FashionMnist.cacheRoot().resolve("experiment");
    }

    private static int or(Integer v, int d) {
        return v != null ? v : d;
    }
}
