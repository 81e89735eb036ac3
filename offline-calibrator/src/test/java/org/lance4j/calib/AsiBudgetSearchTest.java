package org.lance4j.calib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.lance4j.data.Dataset;

/** The search picks the least total error among the combinations that fit, checked by brute force. */
class AsiBudgetSearchTest {
    @Test
    void choosesTheLeastErrorCombinationWithinTheBudget() {
        Dataset d = CalibratorTest.duplicatedChannels(64);
        var model = CalibratorTest.model();
        AsiBudgetSearch.Result loose = AsiBudgetSearch.search(model, d, d.statistics(), 1, 8, false, Long.MAX_VALUE / 4, 1);
        AsiBudgetSearch.LayerChoice only = loose.layers().get(0);
        // unconstrained: the option with the least error
        double min = Double.POSITIVE_INFINITY;
        for (double e : only.optionErrors()) min = Math.min(min, e);
        assertEquals(min, only.error(), 0);
        // a budget between the smallest and the largest option: the best option that fits
        long lo = Long.MAX_VALUE, hi = 0;
        for (long b : only.optionBytes()) {
            lo = Math.min(lo, b);
            hi = Math.max(hi, b);
        }
        long budget = (lo + hi) / 2;
        AsiBudgetSearch.Result tight = AsiBudgetSearch.search(model, d, d.statistics(), 1, 8, false, budget, 1);
        double best = Double.POSITIVE_INFINITY;
        for (int k = 0; k < only.optionBytes().length; k++) if (only.optionBytes()[k] <= budget) best = Math.min(best, only.optionErrors()[k]);
        assertEquals(best, tight.totalError(), 1e-12);
        assertTrue(tight.totalBytes() <= budget);
        // the starting factors are orthonormal with the chosen ranks
        var b = tight.bases().get("conv");
        CalibratorTest.assertOrthonormal(b.uC(), 4, b.rC());
        CalibratorTest.assertOrthonormal(b.uH(), 6, b.rH());
    }

    @Test
    void truncatingOneFullDecompositionEqualsCalibratingAtEachEnergy() {
        Dataset d = CalibratorTest.duplicatedChannels(64);
        var model = CalibratorTest.model();
        Calibrator.Layer full = Calibrator.calibrate(model, d, d.statistics(), new Calibrator.Settings(1, 1.0, 1, 8, true, 1), null).get("conv");
        for (double e : AsiBudgetSearch.ENERGIES) {
            var direct = Calibrator.calibrate(model, d, d.statistics(), new Calibrator.Settings(1, e, 1, 8, true, 1), null).get("conv").basis();
            var cut = AsiBudgetSearch.truncate(full, e);
            assertEquals(java.util.List.of(direct.rB(), direct.rC(), direct.rH(), direct.rW()), java.util.List.of(cut.rB(), cut.rC(), cut.rH(), cut.rW()),
                    "ranks at ε " + e);
            org.junit.jupiter.api.Assertions.assertArrayEquals(direct.uC(), cut.uC(), "U_C at ε " + e);
            org.junit.jupiter.api.Assertions.assertArrayEquals(direct.uB(), cut.uB(), "U_B at ε " + e);
        }
    }
}
