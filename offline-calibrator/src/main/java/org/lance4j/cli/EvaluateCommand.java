package org.lance4j.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.lance4j.app.DataSpec;
import org.lance4j.app.Models;
import org.lance4j.app.Training;
import org.lance4j.data.Dataset;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Top-1 accuracy of a model file on a data source. */
@Command(name = "evaluate", description = "Test accuracy of a model file on a data source.")
final class EvaluateCommand implements Callable<Integer> {
    @Option(names = "--model-file", required = true, description = "A model file written by pretrain or finetune.")
    Path modelFile;

    @Option(names = "--data", required = true, description = "Data, e.g. fmnist (its test split), fmnist:test:classes=0-4.")
    String data;

    @Option(names = "--batch", defaultValue = "500", description = "Evaluation batch (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--json", description = "Print exactly one JSON object on stdout.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        Models.Loaded m = Models.load(modelFile);
        Dataset d = m.prepare(DataSpec.parse(data).loadForEvaluation(m.size()));
        int classes = m.model().spec().shape(m.model().spec().output().name()).dim(0);
        if (d.classes() > classes) {
            throw new IllegalArgumentException("--data " + data + " has " + d.classes() + " classes but " + modelFile + " predicts "
                    + classes + "; select classes with :classes=A-B");
        }
        long t0 = System.nanoTime();
        double acc = Training.evaluate(m.model(), d, m.normalization(), batch, null);
        double s = (System.nanoTime() - t0) / 1e9;
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("model_file", modelFile.toString());
        r.put("data", d.name());
        r.put("images", d.size());
        r.put("test_accuracy", acc);
        r.put("seconds", s);
        Output.print(json, r, () -> String.format(Locale.ROOT, "%s on %s (%d images): accuracy %.4f (%.1f s)",
                modelFile, d.name(), d.size(), acc, s));
        return 0;
    }
}
