package io.sidstream.app.dashboard;

import java.util.OptionalDouble;

/** Reads values out of a Prometheus text scrape, for the dashboard's view of the services. */
final class PrometheusText {
    private PrometheusText() {}

    /**
     * The largest value among the samples of {@code metric} whose labels contain {@code labelPart}
     * ({@code ""} for any), ignoring NaN; empty when there is none.
     */
    static OptionalDouble max(String scrape, String metric, String labelPart) {
        double best = Double.NEGATIVE_INFINITY;
        boolean found = false;
        for (String line : scrape.split("\n")) {
            if (line.startsWith("#") || !line.startsWith(metric)) {
                continue;
            }
            String rest = line.substring(metric.length());
            String labels = "";
            if (rest.startsWith("{")) {
                int end = rest.indexOf('}');
                if (end < 0) {
                    continue;
                }
                labels = rest.substring(1, end);
                rest = rest.substring(end + 1);
            } else if (!rest.startsWith(" ")) {
                continue; // a longer metric name with this prefix
            }
            if (!labels.contains(labelPart)) {
                continue;
            }
            String[] fields = rest.trim().split(" ");
            try {
                double v = Double.parseDouble(fields[0]);
                if (!Double.isNaN(v)) {
                    best = Math.max(best, v);
                    found = true;
                }
            } catch (NumberFormatException e) {
                // not a sample line
            }
        }
        return found ? OptionalDouble.of(best) : OptionalDouble.empty();
    }
}
