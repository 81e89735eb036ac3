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
}
