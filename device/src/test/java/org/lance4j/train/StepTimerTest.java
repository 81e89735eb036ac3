package org.lance4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The step timer's medians over its ring, and a settling step forgotten ({@code bench step}'s untimed first step of a turn). */
class StepTimerTest {
    @Test
    void mediansOverTheRingAndADiscardedStep() {
        StepTimer t = new StepTimer(4);
        assertTrue(Double.isNaN(t.medianTotalMs()), "no steps: no median");
        t.record(1_000_000, 2_000_000, 0);        // 3 ms
        t.record(9_000_000, 9_000_000, 9_000_000); // 27 ms: a slow first step, forgotten
        t.discardLast();
        t.record(2_000_000, 2_000_000, 1_000_000); // 5 ms
        t.record(1_000_000, 1_000_000, 1_000_000); // 3 ms
        assertEquals(3, t.samples());
        assertEquals(3.0, t.medianTotalMs(), 1e-9);
        assertEquals(1.0, t.medianMs(StepTimer.Part.FORWARD), 1e-9);
        assertEquals(2.0, t.medianMs(StepTimer.Part.BACKWARD), 1e-9);
        t.record(7_000_000, 0, 0);
        t.record(8_000_000, 0, 0);                 // the ring keeps the last 4: 5, 3, 7, 8 ms
        assertEquals(4, t.samples());
        assertEquals(6.0, t.medianTotalMs(), 1e-9);
        t.reset();
        t.discardLast();                           // nothing recorded: nothing to forget
        assertEquals(0, t.samples());
    }
}
