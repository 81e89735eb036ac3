package org.lance4j.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jdk.incubator.vector.VectorShape;
import org.junit.jupiter.api.Test;

/** The species in use is the one asked for with -Dlance4j.species (so the 128-bit run really is 128-bit). */
class VecTest {
    @Test
    void speciesMatchesTheProperty() {
        String s = System.getProperty(Vec.PROPERTY, "preferred");
        switch (s) {
            case "scalar" -> assertFalse(Vec.ENABLED);
            case "preferred" -> {
                assertTrue(Vec.ENABLED);
                assertEquals(VectorShape.preferredShape().vectorBitSize(), Vec.F.vectorBitSize());
            }
            default -> {
                assertTrue(Vec.ENABLED);
                assertEquals(Integer.parseInt(s), Vec.F.vectorBitSize());
            }
        }
        assertEquals(Vec.F.vectorBitSize(), Vec.I.vectorBitSize());
    }
}
