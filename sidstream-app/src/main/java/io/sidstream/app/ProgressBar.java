package io.sidstream.app;

import java.io.PrintStream;
import java.util.Locale;

/** A one-line text progress bar with rate, redrawn at most every 200 ms. */
final class ProgressBar {
    private static final int WIDTH = 30;
    private final PrintStream out;
    private final String label;
    private final long total;
    private final long start = System.nanoTime();
    private long done;
    private long lastDraw;

    ProgressBar(PrintStream out, String label, long total) {
        this.out = out;
        this.label = label;
        this.total = Math.max(total, 1);
    }

    void step() {
        advance(1);
    }

    void advance(long n) {
        done += n;
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
                "\r%-13s [%s%s] %d/%d%s%c",
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
