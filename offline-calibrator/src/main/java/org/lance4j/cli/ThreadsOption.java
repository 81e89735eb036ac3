package org.lance4j.cli;

import org.lance4j.kernel.Workers;
import picocli.CommandLine.Option;

/**
 * {@code --threads N}: kernel threads of the training steps a command runs (default: the available cores).
 * The command opens one fixed pool for its run; graphs planned on the command's thread use it.
 */
final class ThreadsOption {
    @Option(names = "--threads", description = "Kernel threads for training steps (default: the available cores). "
            + "Results are identical for any thread count.")
    Integer threads;

    int count() {
        int t = threads == null ? Workers.availableCores() : threads;
        if (t < 1) throw new IllegalArgumentException("--threads must be ≥ 1, got " + t);
        return t;
    }

    /** The pool and its scope on this thread, closed together. */
    Scope open() {
        return new Scope(new Workers(count()));
    }

    static final class Scope implements AutoCloseable {
        final Workers workers;
        private final AutoCloseable use;

        Scope(Workers w) {
            workers = w;
            use = Workers.useOnThisThread(w);
        }

        @Override
        public void close() throws Exception {
            try {
                use.close();
            } finally {
                workers.close();
            }
        }
    }
}
