package org.lance4j.calib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.lance4j.compress.ConvBasis;
import org.lance4j.data.Dataset;
import org.lance4j.graph.Model;
import org.lance4j.graph.ModelSpec;
import org.lance4j.graph.SpecBuilder;
import org.lance4j.tensor.Shape;

class CalibratorTest {
    /** (N, 4, 6, 6) images whose channels 2 and 3 repeat channels 0 and 1: the channel mode has rank 2. */
    static Dataset duplicatedChannels(int n) {
        SplittableRandom r = new SplittableRandom(3);
        byte[] px = new byte[n * 4 * 36];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % 2;
            for (int q = 0; q < 72; q++) px[i * 144 + q] = (byte) r.nextInt(256);
            System.arraycopy(px, i * 144, px, i * 144 + 72, 72);
        }
        return new Dataset("dup", Shape.of(4, 6, 6), px, y, 2);
    }

    static Model model() {
        SpecBuilder b = new SpecBuilder("calib", 4, 6, 6);
        String x = b.relu("r", b.conv("conv", ModelSpec.INPUT, 3, 3, 1, 1, 1, false));
        b.linear("fc", b.gap("gap", x), 2, true);
        return Model.initialized(b.build(), 1);
    }

    static void assertOrthonormal(float[] u, int d, int r) {
        for (int i = 0; i < r; i++) {
            for (int j = 0; j < r; j++) {
                double dot = 0;
                for (int k = 0; k < d; k++) dot += (double) u[k * r + i] * u[k * r + j];
                assertEquals(i == j ? 1 : 0, dot, 1e-5);
            }
        }
    }

    @Test
    void findsTheChannelSubspaceAndOrthonormalBases() {
        Dataset d = duplicatedChannels(64);
        Map<String, Calibrator.Layer> res = Calibrator.calibrate(model(), d, d.statistics(),
                new Calibrator.Settings(1, 0.99999, 5, 8, false, 1), null);
        Calibrator.Layer l = res.get("conv");
        ConvBasis b = l.basis();
        assertEquals(2, b.rC(), "the channel mode has rank 2");
        assertNull(b.uB(), "batch mode not projected unless asked");
        assertEquals(8, b.rB());
        // U_C U_Cᵀ is the projector onto span{e0 + e2, e1 + e3}
        double[][] p = {{.5, 0, .5, 0}, {0, .5, 0, .5}, {.5, 0, .5, 0}, {0, .5, 0, .5}};
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 4; j++) {
                double v = 0;
                for (int q = 0; q < 2; q++) v += (double) b.uC()[i * 2 + q] * b.uC()[j * 2 + q];
                assertEquals(p[i][j], v, 1e-4);
            }
        }
        assertOrthonormal(b.uC(), 4, b.rC());
        assertOrthonormal(b.uH(), 6, b.rH());
        assertOrthonormal(b.uW(), 6, b.rW());
        for (Calibrator.Mode m : l.modes()) {
            assertTrue(m.energyKept() >= 0.99999 - 1e-9, m.name() + " keeps " + m.energyKept());
            assertTrue(m.rank() >= 1 && m.rank() <= m.size());
        }
        assertEquals(3, l.modes().size(), "C, H, W");
    }

    @Test
    void lowEnergyGivesLowRanksAndTheBatchModeWhenAsked() {
        Dataset d = duplicatedChannels(64);
        Calibrator.Layer l = Calibrator.calibrate(model(), d, d.statistics(), new Calibrator.Settings(1, 0.3, 3, 8, true, 1), null).get("conv");
        ConvBasis b = l.basis();
        assertEquals(1, b.rC());
        assertTrue(b.rH() < 6 && b.rW() < 6);
        assertTrue(b.uB() != null && b.rB() >= 1 && b.rB() < 8);
        assertOrthonormal(b.uB(), 8, b.rB());
        assertTrue(l.coreBytes() < l.fullBytes());
        assertThrows(IllegalArgumentException.class,
                () -> Calibrator.calibrate(model(), d, d.statistics(), new Calibrator.Settings(2, 0.7, 1, 8, false, 1), null));
    }
}
