package org.lance4j.cli;

import com.fasterxml.jackson.jr.ob.JSON;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.lance4j.app.Training;

/** One JSON object on stdout with --json; the human summary otherwise. */
final class Output {
    private Output() { }

    static void print(boolean json, Map<String, Object> result, Supplier<String> human) throws java.io.IOException {
        if (json) System.out.println(JSON.std.asString(result));
        else System.out.println(human.get());
    }

    static List<Map<String, Object>> epochs(Training.EpochReport[] rs) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Training.EpochReport r : rs) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("epoch", r.epoch());
            m.put("train_loss", r.trainLoss());
            m.put("train_accuracy", r.trainAccuracy());
            m.put("test_accuracy", r.testAccuracy());
            m.put("seconds", r.seconds());
            m.put("step_ms", stepMs(r));
            out.add(m);
        }
        return out;
    }

    /** FLOPs per step as 2 × multiply-adds, split forward/backward, plus the multiply-adds themselves. */
    static void flops(Map<String, Object> out, org.lance4j.app.FineTune.Result r) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("forward", 2 * r.macsForward());
        f.put("backward", 2 * r.macsBackward());
        out.put("flops_per_step", f);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("forward", r.macsForward());
        m.put("backward", r.macsBackward());
        out.put("macs_per_step", m);
    }

    static Map<String, Object> stepMs(Training.EpochReport r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("forward", r.forwardMs());
        m.put("backward", r.backwardMs());
        m.put("optimizer", r.optimizerMs());
        m.put("total", r.totalMs());
        return m;
    }
}
