package org.lance4j.app;

import java.nio.file.Path;
import java.util.Locale;
import org.lance4j.data.CifarReader;
import org.lance4j.data.Dataset;
import org.lance4j.data.IdxReader;

/**
 * A data source as given on the command line:
 * {@code fmnist[:train|:test][:classes=A-B]}, {@code idx:IMAGES,LABELS[:classes=A-B]},
 * {@code cifar10:DIR[:train|:test][:classes=A-B]}, {@code cifar100:DIR[...]}, {@code folder:DIR[:classes=A-B]}.
 * Sources with a test split (fmnist, cifar) give it for evaluation; the others hold out a seeded 1/6.
 */
public record DataSpec(String kind, String location, Boolean train, int classFrom, int classTo, String text) {
    public static final int FOLDER_SIZE_DEFAULT = 32;

    public static DataSpec parse(String s) {
        String[] parts = s.split(":");
        String kind = parts[0].toLowerCase(Locale.ROOT);
        int i = 1;
        String location = null;
        switch (kind) {
            case "fmnist" -> { }
            case "idx", "cifar10", "cifar100", "folder" -> {
                if (parts.length < 2 || parts[1].isBlank()) throw bad(s, kind + " needs a location: " + kind + ":PATH");
                location = parts[1];
                i = 2;
            }
            default -> throw bad(s, "unknown source '" + parts[0] + "'");
        }
        Boolean train = null;
        int from = -1, to = -1;
        for (; i < parts.length; i++) {
            String p = parts[i];
            if (p.equals("train") || p.equals("test")) {
                if (kind.equals("idx") || kind.equals("folder")) throw bad(s, kind + " has no train/test split; give the files you mean");
                train = p.equals("train");
            } else if (p.startsWith("classes=")) {
                String[] r = p.substring(8).split("-");
                try {
                    from = Integer.parseInt(r[0]);
                    to = r.length > 1 ? Integer.parseInt(r[1]) : from;
                } catch (NumberFormatException e) {
                    throw bad(s, "classes=A-B needs two numbers, e.g. classes=5-9");
                }
                if (from < 0 || to < from) throw bad(s, "classes=" + from + "-" + to + " is empty");
            } else {
                throw bad(s, "unknown option '" + p + "'");
            }
        }
        return new DataSpec(kind, location, train, from, to, s);
    }

    private static IllegalArgumentException bad(String s, String why) {
        return new IllegalArgumentException("--data " + s + ": " + why
                + " (forms: fmnist[:train|:test][:classes=A-B], idx:IMAGES,LABELS, cifar10:DIR, cifar100:DIR, folder:DIR)");
    }

    /** The split for training (default train). */
    public Dataset loadTrain(int folderSize) {
        return select(load(train == null || train, folderSize, false));
    }

    /** The split for testing: the test split of fmnist/cifar, or the held-out part of idx/folder. */
    public Dataset loadTest(int folderSize) {
        return select(load(false, folderSize, true));
    }

    /** For evaluate: the split the spec names, the test split (or hold-out) when it names none. */
    public Dataset loadForEvaluation(int folderSize) {
        if (train == null) return loadTest(folderSize);
        return select(load(train, folderSize, false));
    }

    /** True when training data and test data come from one set split by a hold-out. */
    public boolean heldOut() {
        return kind.equals("idx") || kind.equals("folder");
    }

    private Dataset load(boolean wantTrain, int folderSize, boolean forTest) {
        Dataset d = switch (kind) {
            case "fmnist" -> {
                Path dir = FashionMnist.locate();
                String pre = wantTrain ? "train" : "t10k";
                yield IdxReader.read(dir.resolve(pre + "-images-idx3-ubyte.gz"), dir.resolve(pre + "-labels-idx1-ubyte.gz"),
                        "fmnist:" + (wantTrain ? "train" : "test"));
            }
            case "idx" -> {
                String[] f = location.split(",");
                if (f.length != 2) throw bad(text, "idx needs IMAGES,LABELS");
                yield IdxReader.read(Path.of(f[0]), Path.of(f[1]), "idx:" + location);
            }
            case "cifar10" -> CifarReader.cifar10(Path.of(location), wantTrain);
            case "cifar100" -> CifarReader.cifar100(Path.of(location), wantTrain);
            case "folder" -> ImageFolder.read(Path.of(location), folderSize);
            default -> throw new IllegalStateException(kind);
        };
        if (heldOut()) {
            Dataset s = d.shuffled(20261121L);
            int cut = s.size() - s.size() / 6;
            d = forTest ? s.range(cut, s.size(), ":holdout") : s.range(0, cut, ":train");
        }
        return d;
    }

    private Dataset select(Dataset d) {
        return classFrom < 0 ? d : d.classes(classFrom, Math.min(classTo, d.classes() - 1) == classTo ? classTo : fail(d));
    }

    private int fail(Dataset d) {
        throw bad(text, "classes=" + classFrom + "-" + classTo + " but the data has classes 0-" + (d.classes() - 1));
    }

    /** Number of classes after the class selection, given the source's class count. */
    public int classCount(int sourceClasses) {
        return classFrom < 0 ? sourceClasses : classTo - classFrom + 1;
    }
}
