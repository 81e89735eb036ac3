package org.lance4j.app;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A progress bar on stderr when it is a terminal (redrawn in place, at most 10 times a second), one
 * line per epoch otherwise (logs, CI), nothing when quiet (JSON output).
 */
public final class Progress implements Training.Listener {
    private final PrintStream err = System.err;
    private final boolean tty;
    private final boolean quiet;
    private final String label;
    private long lastDraw;

    public Progress(String label, boolean quiet) {
        this.label = label;
        this.quiet = quiet;
        this.tty = System.console() != null && System.getenv("CI") == null;
    }

    @Override
    public void batch(int epoch, int epochs, int batch, int batches, double loss, double acc) {
        if (quiet || !tty) return;
        long now = System.nanoTime();
        if (batch != batches && now - lastDraw < 100_000_000L) return;
        lastDraw = now;
        int w = 30, filled = (int) ((long) w * batch / batches);
        err.printf(Locale.ROOT, "\r%s epoch %d/%d [%s%s] %d/%d loss %.4f acc %.3f ", label, epoch, epochs,
                "#".repeat(filled), ".".repeat(w - filled), batch, batches, loss, acc);
        err.flush();
    }

    @Override
    public void epoch(Training.EpochReport r) {
        if (quiet) return;
        if (tty) err.print("\r\033[K");
        err.printf(Locale.ROOT, "%s epoch %d/%d: loss %.4f, train acc %.4f, test acc %.4f, %.1f s (step %.1f ms: fwd %.1f, bwd %.1f, opt %.2f)%n",
                label, r.epoch(), r.epochs(), r.trainLoss(), r.trainAccuracy(), r.testAccuracy(), r.seconds(), r.totalMs(),
                r.forwardMs(), r.backwardMs(), r.optimizerMs());
    }
}
