package io.sidstream.app;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A one-line text progress bar with rate, redrawn at most every 200 ms on a terminal. Written to a
 * file or pipe (no console, or not standard output) it prints one line per stage when the stage is
 * done, so a log gets no wall of carriage returns.
 */
final class ProgressBar {
    private static final int WIDTH = 30;
    private final PrintStream out;
    private final String label;
    private long total;
    private final long start = System.nanoTime();
    private final boolean terminal;
    private long done;
    private long lastDraw;

    ProgressBar(PrintStream out, String label, long total) {
        this(out, label, total, out == System.out && System.console() != null);
    }

    /**
     * @param terminal whether to redraw in place ({@code \r}) while the stage runs
     */
    ProgressBar(PrintStream out, String label, long total, boolean terminal) {
        this.out = out;
        this.label = label;
        this.total = Math.max(total, 1);
        this.terminal = terminal;
    }

    /** The work grew while the stage ran (requests still arriving): a larger total, never less. */
    void total(long newTotal) {
        total = Math.max(total, newTotal);
    }

    void step() {
        advance(1);
    }

    void advance(long n) {
        done += n;
        if (!terminal) {
            return;
        }
        long now = System.nanoTime();
        if (now - lastDraw > 200_000_000L) {
            lastDraw = now;
            draw('\r');
        }
    }

    void done() {
        draw('\n');
    }

    private void draw(char end) {
        int filled = (int) (WIDTH * done / total);
        double seconds = (System.nanoTime() - start) / 1e9;
        // A rate over a fraction of a second (e.g. work already done before a restart) is noise.
        String rate = seconds < 0.5 ? "" : String.format(Locale.ROOT, " %.0f/s", done / seconds);
        out.printf(
                Locale.ROOT,
                "%s%-13s [%s%s] %d/%d%s%c",
                terminal ? "\r" : "",
                label,
                "#".repeat(Math.min(WIDTH, filled)),
                " ".repeat(Math.max(0, WIDTH - filled)),
                done,
                total,
                rate,
                end);
        out.flush();
    }
}
