package org.lance4j.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The one-thread benchmarks' pinning: the calling thread really runs on the one CPU afterwards (read back from the
 * kernel), gets its CPUs back on close, and the other side's command is started on the same CPU; bad requests are
 * refused by the flag's name.
 */
class CpuPinTest {
    @Test
    void pinsTheCallingThreadAndGivesItsCpusBack() throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                String before = CpuPin.allowedList();
                int last = CpuPin.parseList(before).last();
                try (CpuPin pin = CpuPin.pin(last, 1, "--cpu")) {
                    assertEquals(last, pin.cpu());
                    assertEquals(Integer.toString(last), CpuPin.allowedList(), "the kernel's view of this thread");
                    assertEquals("both sides on CPU " + last + " (taskset)", pin.describe());
                    assertEquals(List.of("taskset", "-c", Integer.toString(last), "prog", "arg"), pin.command(List.of("prog", "arg")));
                }
                assertEquals(before, CpuPin.allowedList(), "its CPUs back after close");
                try (CpuPin pin = CpuPin.pin(null, 1, "--cpu")) {
                    assertEquals(CpuPin.parseList(before).first(), pin.cpu(), "default: the first CPU it may use");
                }
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        t.start();
        t.join();
        if (failure.get() != null) throw new AssertionError(failure.get());
    }

    @Test
    void severalThreadsOrMinusOneAreNotPinned() {
        CpuPin p = CpuPin.pin(null, 2, "--cpu");
        assertEquals(-1, p.cpu());
        assertEquals("not pinned (2 threads)", p.describe());
        assertEquals(List.of("prog"), p.command(List.of("prog")));
        p.close();
        assertEquals("not pinned (--cpu -1)", CpuPin.pin(-1, 1, "--cpu").describe());
    }

    @Test
    void badRequestsAreRefusedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CpuPin.pin(0, 2, "--cpu"));
        assertTrue(e.getMessage().startsWith("--cpu 0 pins a one-thread run"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> CpuPin.pin(4096, 1, "--cpu"));
        assertTrue(e.getMessage().startsWith("--cpu 4096: this process may use CPUs "), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> CpuPin.pin(-2, 1, "--cpu"));
        assertTrue(e.getMessage().contains("-1 for no pinning"), e.getMessage());
    }

    @Test
    void parsesKernelCpuLists() {
        assertEquals(new TreeSet<>(List.of(0, 1, 2, 5)), CpuPin.parseList("0-2,5"));
        assertEquals(new TreeSet<>(List.of(3)), CpuPin.parseList("3\n"));
        assertThrows(IllegalArgumentException.class, () -> CpuPin.parseList(" "));
    }
}
