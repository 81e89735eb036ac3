package org.lance4j.calib;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.lance4j.compress.ConvBasis;
import org.lance4j.compress.SubspaceMemory;
import org.lance4j.data.Dataset;
import org.lance4j.data.Normalization;
import org.lance4j.graph.Graph;
import org.lance4j.graph.Model;
import org.lance4j.linalg.SymmetricEigen;
import org.lance4j.tensor.Shape;

/**
 * LANCE-CL's calibration before a new task: Phase I on the new task's data, with every protected layer
 * seen in its continual-learning layout — a convolution as its im2col columns, modes (B, C·K·K, L), a
 * linear layer as (B, F) — and the input mode's basis taken in the null space of the memory: the
 * eigenvectors of (I − P Pᵀ) G (I − P Pᵀ), ranked by {@code inputEnergy} over that projected spectrum.
 * The other modes (L, and B when projected) are Phase I's: eigenvectors of the mean Gram, ranked by
 * {@code energy}. Every weight gradient the bases give then has its rows orthogonal to P, so training
 * cannot move what earlier tasks' inputs see — and the device needs only the bases, never P.
 *
 * <p>A layer whose memory leaves no direction of the new data (P spans all of it) gets no basis: it is
 * returned in {@link Result#frozen} and must not be trained on this task.
 */
public final class NullSpaceCalibrator {
    private NullSpaceCalibrator() { }

    public record Settings(List<String> layers, double energy, double inputEnergy, int batches, int batch, boolean projectBatch, long seed) {
        public Settings {
            layers = List.copyOf(layers);
            if (!(energy > 0 && energy <= 1)) throw new IllegalArgumentException("--energy must be in (0, 1], got " + energy);
            if (!(inputEnergy > 0 && inputEnergy <= 1)) throw new IllegalArgumentException("--input-energy must be in (0, 1], got " + inputEnergy);
            if (batches < 1) throw new IllegalArgumentException("--calibration-batches must be ≥ 1, got " + batches);
            if (batch < 1) throw new IllegalArgumentException("--batch must be ≥ 1, got " + batch);
        }
    }

    /** @param layers bases by node (unfolded for convolutions); frozen: layers with no direction left */
    public record Result(Map<String, Calibrator.Layer> layers, Set<String> frozen) {
        public Map<String, ConvBasis> bases() {
            Map<String, ConvBasis> m = new LinkedHashMap<>();
            layers.forEach((k, v) -> m.put(k, v.basis()));
            return m;
        }
    }

    public static Result calibrate(Model model, Dataset data, Normalization norm, Settings s, Map<String, SubspaceMemory> memory,
                                   Calibrator.Listener listener) {
        Graph g = Graph.plan(model, Graph.Config.inference(s.batch()));
        Map<String, InputStatistics> accs = new LinkedHashMap<>();
        for (String node : s.layers()) {
            InputStatistics a = new InputStatistics(LayerInput.of(model.spec(), node), s.batch(), s.batches(), true, s.projectBatch());
            accs.put(node, a);
            g.observeInput(node, a::add);
        }
        Calibrator.forwardBatches(g, data, norm, s.batch(), s.batches(), s.seed(), listener);
        Map<String, Calibrator.Layer> out = new LinkedHashMap<>();
        Set<String> frozen = new LinkedHashSet<>();
        for (Map.Entry<String, InputStatistics> e : accs.entrySet()) {
            InputStatistics a = e.getValue();
            LayerInput li = a.in;
            int d = li.d(), l = li.l(), b = s.batch();
            SubspaceMemory p = memory.getOrDefault(e.getKey(), SubspaceMemory.empty(d));
            if (p.d() != d) throw new IllegalArgumentException(e.getKey() + ": memory has D = " + p.d() + " but the layer's rows are " + d);
            ProjectedSpectrum in = a.inputSpectrum(p);
            if (in.m() == 0) {
                frozen.add(e.getKey());
                continue;
            }
            List<Calibrator.Mode> modes = new ArrayList<>();
            float[] uIn = in.basis(SymmetricEigen.rankForEnergy(in.values(), in.m(), s.inputEnergy()));
            int rIn = uIn.length / d;
            if (rIn == 0) {
                frozen.add(e.getKey());
                continue;
            }
            modes.add(new Calibrator.Mode(li.conv() ? "C·K·K" : "F", d, rIn, SymmetricEigen.energyKept(in.values(), rIn), in.values()));
            float[] uB = null;
            int rB = 0;
            if (s.projectBatch()) {
                SymmetricEigen.Result eb = SymmetricEigen.decompose(a.mean(a.sB), b);
                rB = SymmetricEigen.rankForEnergy(eb.values(), s.energy());
                uB = leading(eb, b, rB);
                modes.add(0, new Calibrator.Mode("B", b, rB, SymmetricEigen.energyKept(eb.values(), rB), eb.values()));
            }
            ConvBasis basis;
            if (li.conv()) {
                SymmetricEigen.Result el = SymmetricEigen.decompose(a.mean(a.sL), l);
                int rL = SymmetricEigen.rankForEnergy(el.values(), s.energy());
                modes.add(new Calibrator.Mode("L", l, rL, SymmetricEigen.energyKept(el.values(), rL), el.values()));
                basis = new ConvBasis(b, d, l, 1, uB, rB, uIn, rIn, leading(el, l, rL), rL, new float[] {1}, 1, true);
                out.put(e.getKey(), new Calibrator.Layer(e.getKey(), Shape.of(b, d, l, 1), modes, basis));
            } else {
                basis = new ConvBasis(b, d, 1, 1, uB, rB, uIn, rIn, new float[] {1}, 1, new float[] {1}, 1);
                out.put(e.getKey(), new Calibrator.Layer(e.getKey(), Shape.of(b, d, 1, 1), modes, basis));
            }
        }
        return new Result(out, frozen);
    }

    private static float[] leading(SymmetricEigen.Result e, int d, int r) {
        float[] u = new float[d * r];
        for (int i = 0; i < d; i++) for (int j = 0; j < r; j++) u[i * r + j] = (float) e.vector(i, j);
        return u;
    }
}
