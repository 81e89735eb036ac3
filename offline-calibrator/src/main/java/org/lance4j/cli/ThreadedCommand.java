package org.lance4j.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;

/**
 * A command whose training or calibration steps run on kernel threads: {@code --threads N} ({@link ThreadsOption}),
 * with the pool open for exactly the run of {@link #callOnThreads}.
 */
abstract class ThreadedCommand implements Callable<Integer> {
    @Mixin
    ThreadsOption threadsOption;

    @Override
    public final Integer call() throws Exception {
        try (ThreadsOption.Scope t = threadsOption.open()) {
            return callOnThreads();
        }
    }

    /** The command's work, with this thread's default pool set. */
    abstract Integer callOnThreads() throws Exception;
}
