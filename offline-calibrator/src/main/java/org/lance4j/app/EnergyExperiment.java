package org.lance4j.app;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.lance4j.calib.Calibrator;
import org.lance4j.compress.ConvBasis;
import org.lance4j.data.Dataset;

/**
 * The energy sweep: the split protocol on one model and N, full backprop once as the reference, then
 * LANCE calibrated and fine-tuned at each ε — activation memory, accuracy and the angle between LANCE's
 * gradient and the exact one on a probe batch.
 */
public final class EnergyExperiment {
    /** One ε (NaN for the bp reference). */
    public record Point(double energy, double accuracy, long paperBytes, long peakBytes, double angleDeg, int[][] ranks, double totalMs) { }

    public record Result(FinetuneExperiment.Pretrained pretrained, Point bp, List<Point> points) { }

    private EnergyExperiment() { }

    /** Uses {@code s.models().get(0)} and {@code s.layers().get(0)}; the other fields as the fine-tuning experiment. */
    public static Result run(FinetuneExperiment.Settings s, double[] energies, Path cacheDir, FinetuneExperiment.Listener l) throws IOException {
        String name = s.models().get(0);
        int n = s.layers().get(0);
        List<FinetuneExperiment.Pretrained> pre = new ArrayList<>();
        Models.Loaded m = FinetuneExperiment.pretrained(name, s, cacheDir, l, pre);
        Dataset train = FinetuneExperiment.limit(m.prepare(DataSpec.parse("fmnist:classes=5-9").loadTrain(m.size())), s.trainImages(), s.seed());
        Dataset test = FinetuneExperiment.limit(m.prepare(DataSpec.parse("fmnist:classes=5-9").loadTest(m.size())), s.testImages(), s.seed() + 1);
        l.say(String.format(Locale.ROOT, "%s, %d layers: full backprop (the reference)", name, n));
        Point bp = point(Double.NaN, m, train, test, s, n, Map.of(), null);
        List<Point> out = new ArrayList<>();
        for (double e : energies) {
            l.say(String.format(Locale.ROOT, "%s, %d layers: LANCE at ε %.2f (calibration, then fine-tuning)", name, n, e));
            Map<String, ConvBasis> bases = new LinkedHashMap<>();
            List<int[]> ranks = new ArrayList<>();
            Calibrator.calibrate(m.model(), train, m.normalization(), new Calibrator.Settings(n, e, s.calibrationBatches(), s.batch(), false, s.seed()), null)
                    .forEach((k, v) -> {
                        bases.put(k, v.basis());
                        ranks.add(new int[] {v.basis().rC(), v.basis().rH(), v.basis().rW()});
                    });
            out.add(point(e, m, train, test, s, n, bases, ranks.toArray(new int[0][])));
        }
        return new Result(pre.get(0), bp, out);
    }

    private static Point point(double e, Models.Loaded m, Dataset train, Dataset test, FinetuneExperiment.Settings s, int n,
                               Map<String, ConvBasis> bases, int[][] ranks) {
        FineTune.Result r = FineTune.run(FineTune.withNewHead(m.model(), train.classes(), 7), train, test, m.normalization(),
                new FineTune.Config(n, s.epochs(), s.batch(), Long.MAX_VALUE, 7, bases, false, 0), null);
        return new Point(e, r.run().last().testAccuracy(), r.paperBytes(), r.measuredPeakBytes(), r.gradientAngleDeg(), ranks, r.run().last().totalMs());
    }
}
