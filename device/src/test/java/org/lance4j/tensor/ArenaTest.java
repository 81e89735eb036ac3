package org.lance4j.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ArenaTest {
    @Test
    void backwardArenaIsABudgetedStackThatTracksItsPeak() {
        BackwardArena a = new BackwardArena(100 * 4);
        a.ensureCapacity(100, 100);
        Tensor t1 = new Tensor("t1", Shape.of(40), null, 0);
        Tensor t2 = new Tensor("t2", Shape.of(30), null, 0);
        IntView m = new IntView("m", 20);
        a.reserve(t1, "conv1");
        a.reserve(m, "relu1");
        a.reserve(t2, "conv2");
        assertEquals(360, a.heldBytes());
        assertEquals(40, t2.offset);
        Tensor big = new Tensor("t3", Shape.of(11), null, 0);
        BudgetExceededException e = assertThrows(BudgetExceededException.class, () -> a.reserve(big, "conv3"));
        assertEquals("conv3", e.owner);
        assertEquals(44, e.bytesAsked);
        assertEquals(40, e.bytesLeft);
        assertTrue(e.getMessage().contains("conv3") && e.getMessage().contains("44") && e.getMessage().contains("40"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> a.release(t1), "out-of-order release is refused");
        a.release(t2);
        a.release(m);
        a.release(t1);
        assertEquals(0, a.heldBytes());
        assertEquals(360, a.peakBytes());
    }

    @Test
    void capacityIsCappedByTheBudget() {
        BackwardArena a = new BackwardArena(40);
        a.ensureCapacity(1_000_000, 0);
        Tensor t = new Tensor("t", Shape.of(1000), null, 0);
        assertThrows(BudgetExceededException.class, () -> a.reserve(t, "layer"));
        assertThrows(IllegalArgumentException.class, () -> new BackwardArena(0));
    }

    @Test
    void intervalPlannerNeverOverlapsLiveBuffersAndReusesDeadOnes() {
        SplittableRandom r = new SplittableRandom(1);
        for (int trial = 0; trial < 50; trial++) {
            IntervalPlanner p = new IntervalPlanner();
            int n = 2 + r.nextInt(30);
            int[] size = new int[n], first = new int[n], last = new int[n];
            long sum = 0;
            for (int i = 0; i < n; i++) {
                size[i] = 1 + r.nextInt(100);
                first[i] = r.nextInt(40);
                last[i] = first[i] + r.nextInt(10);
                p.add(size[i], first[i], last[i]);
                sum += size[i];
            }
            p.solve();
            for (int i = 0; i < n; i++) {
                assertTrue(p.offset(i) + size[i] <= p.total());
                for (int j = i + 1; j < n; j++) {
                    boolean liveTogether = first[i] <= last[j] && first[j] <= last[i];
                    boolean overlap = p.offset(i) < p.offset(j) + size[j] && p.offset(j) < p.offset(i) + size[i];
                    assertTrue(!(liveTogether && overlap), "buffers " + i + " and " + j + " overlap while both live");
                }
            }
            assertTrue(p.total() <= sum);
        }
        IntervalPlanner chain = new IntervalPlanner();
        for (int i = 0; i < 10; i++) chain.add(100, i, i + 1);
        chain.solve();
        assertEquals(200, chain.total(), "a chain of activations needs two buffers, not ten");
    }

    @Test
    void shapesRefuseNonsense() {
        assertThrows(IllegalArgumentException.class, () -> Shape.of(2, 0, 3));
        assertEquals(Shape.of(4, 3, 2, 2), Shape.of(3, 2, 2).withBatchPrefix(4));
        assertEquals(12, Shape.of(4, 3, 2, 2).perItem());
    }
}
