package org.lance4j.app;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.lance4j.data.Dataset;
import org.lance4j.data.Normalization;
import org.lance4j.graph.Model;
import org.lance4j.io.ModelFile;
import org.lance4j.kernel.Vec;

/** Saving and loading models with the metadata that evaluation and fine-tuning need, plus provenance. */
public final class Models {
    private Models() { }

    /** A loaded model: weights, normalization and input preparation, metadata. */
    public record Loaded(Model model, Normalization normalization, Dataset.Fit fit, Map<String, String> meta) {
        public int channels() {
            return model.spec().input().dim(0);
        }

        public int size() {
            return model.spec().input().dim(1);
        }

        /** Brings a dataset to this model's input (grayscale → 3 channels, resize or pad). */
        public Dataset prepare(Dataset d) {
            return d.reshaped(channels(), size(), fit);
        }
    }

    public static Map<String, String> provenance() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("lance4j", org.lance4j.cli.Provenance.version());
        m.put("java", System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")");
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        m.put("arch", System.getProperty("os.arch"));
        m.put("vector", Vec.describe());
        m.put("created", Instant.now().toString());
        return m;
    }

    public static void save(Path out, Model model, Normalization norm, Dataset.Fit fit, Map<String, String> meta) throws IOException {
        Map<String, String> all = new LinkedHashMap<>(provenance());
        all.putAll(meta);
        all.put("normalization", norm.encode());
        all.put("fit", fit.name());
        ModelFile.write(out, model, all);
    }

    public static Loaded load(Path file) {
        ModelFile.Contents c = ModelFile.read(file);
        String norm = c.meta().get("normalization");
        if (norm == null) throw new IllegalArgumentException(file + ": has no normalization entry; re-create it with ./lance4j pretrain");
        Dataset.Fit fit = Dataset.Fit.valueOf(c.meta().getOrDefault("fit", "RESIZE"));
        return new Loaded(c.model(), Normalization.decode(norm), fit, c.meta());
    }
}
