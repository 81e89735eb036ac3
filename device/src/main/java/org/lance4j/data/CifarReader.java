package org.lance4j.data;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.lance4j.tensor.Shape;

/**
 * CIFAR-10 and CIFAR-100 binary versions. CIFAR-10: {@code data_batch_1..5.bin}, {@code test_batch.bin},
 * records of 1 label byte + 3072 pixel bytes (R, G, B planes of 32×32). CIFAR-100: {@code train.bin},
 * {@code test.bin}, records of a coarse and a fine label byte + 3072 bytes; the fine label is used.
 */
public final class CifarReader {
    static final int PIXELS = 3 * 32 * 32;

    private CifarReader() { }

    public static Dataset cifar10(Path dir, boolean train) {
        List<Path> files = new ArrayList<>();
        if (train) for (int i = 1; i <= 5; i++) files.add(dir.resolve("data_batch_" + i + ".bin"));
        else files.add(dir.resolve("test_batch.bin"));
        return read(files, 1, 10, "cifar10:" + dir + (train ? ":train" : ":test"), dir);
    }

    public static Dataset cifar100(Path dir, boolean train) {
        return read(List.of(dir.resolve(train ? "train.bin" : "test.bin")), 2, 100, "cifar100:" + dir + (train ? ":train" : ":test"), dir);
    }

    private static Dataset read(List<Path> files, int labelBytes, int classes, String name, Path dir) {
        if (!Files.isDirectory(dir)) throw new DataFormatException(dir + ": no such folder; point the data spec at the folder holding the CIFAR .bin files");
        int record = labelBytes + PIXELS;
        long total = 0;
        for (Path f : files) {
            if (!Files.isRegularFile(f)) {
                throw new DataFormatException(f + ": missing; the CIFAR binary version (not the Python one) is expected in " + dir);
            }
            try {
                long size = Files.size(f);
                if (size == 0 || size % record != 0) {
                    throw new DataFormatException(f + ": " + size + " bytes is not a whole number of " + record
                            + "-byte records; the file is truncated or of the other CIFAR variant");
                }
                total += size / record;
            } catch (IOException e) {
                throw IdxReader.io(f, e);
            }
        }
        byte[] px = new byte[(int) total * PIXELS];
        int[] y = new int[(int) total];
        int k = 0;
        byte[] lab = new byte[labelBytes];
        for (Path f : files) {
            try (DataInputStream in = IdxReader.open(f)) {
                long n = Files.size(f) / record;
                for (long r = 0; r < n; r++, k++) {
                    in.readFully(lab);
                    y[k] = lab[labelBytes - 1] & 0xFF;
                    if (y[k] >= classes) throw new DataFormatException(f + ": record " + r + " has label " + y[k] + " ≥ " + classes);
                    in.readFully(px, k * PIXELS, PIXELS);
                }
            } catch (EOFException e) {
                throw new DataFormatException(f + ": truncated", e);
            } catch (IOException e) {
                throw IdxReader.io(f, e);
            }
        }
        return new Dataset(name, Shape.of(3, 32, 32), px, y, classes);
    }
}
