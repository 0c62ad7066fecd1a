package io.sidstream.app;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Options of the {@code demo} command, validated all at once.
 *
 * @param dataDir folder with {@code movies.dat} + {@code ratings.dat} (or {@code items.jsonl} +
 *     {@code interactions.jsonl})
 * @param bootstrapServers external cluster, or {@code null} for the embedded broker
 * @param limit maximum interactions to replay
 * @param items maximum catalog items to list
 * @param serve keep the services up after the summary, until Ctrl-C
 * @param bundleDir model bundle directory
 * @param workDir broker logs, Streams state and replay progress; a rerun resumes from it
 * @param fresh discard {@code workDir} first
 * @param speedup replay interactions at this multiple of their recorded pace; 0 = as fast as
 *     possible
 * @param dashboardPort port of the local dashboard; 0 = any free port
 * @param coldStartFraction items first interacted with in this last fraction of the replay are
 *     listed only then (just before their first interaction), as new items would be
 */
record DemoOptions(
        Path dataDir,
        String bootstrapServers,
        int limit,
        int items,
        boolean serve,
        Path bundleDir,
        Path workDir,
        boolean fresh,
        double speedup,
        int dashboardPort,
        double coldStartFraction) {

    static final int DEFAULT_DASHBOARD_PORT = 8080;

    static DemoOptions parse(String[] args) {
        Path dataDir = Path.of("data", "movietweetings-100k");
        String bootstrap = null;
        int limit = Integer.MAX_VALUE;
        int items = Integer.MAX_VALUE;
        boolean serve = true;
        boolean fresh = false;
        Path bundleDir = Path.of("models", "default");
        Path workDir = Path.of("state", "demo");
        double speedup = 0;
        int dashboardPort = DEFAULT_DASHBOARD_PORT;
        double coldStartFraction = 0.05;
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--data-dir" -> dataDir = value == null ? dataDir : Path.of(value);
                case "--bootstrap-servers" -> bootstrap = value;
                case "--bundle" -> bundleDir = value == null ? bundleDir : Path.of(value);
                case "--work-dir" -> workDir = value == null ? workDir : Path.of(value);
                case "--no-serve" -> {
                    serve = false;
                    continue;
                }
                case "--fresh" -> {
                    fresh = true;
                    continue;
                }
                case "--items" -> items = positive(args[i], value, 1, problems);
                case "--limit" -> limit = positive(args[i], value, 0, problems);
                case "--dashboard-port" -> {
                    dashboardPort = positive(args[i], value, 0, problems);
                    if (dashboardPort > 65535) {
                        problems.add("--dashboard-port must be at most 65535");
                    }
                }
                case "--speedup" ->
                        speedup = fraction(args[i], value, 0, Double.MAX_VALUE, problems);
                case "--cold-start" ->
                        coldStartFraction = fraction(args[i], value, 0, 0.5, problems);
                default -> {
                    problems.add("unknown option " + args[i]);
                    continue;
                }
            }
            if (value == null) {
                problems.add(args[i] + " needs a value");
            }
            i++;
        }
        if (!Files.isDirectory(dataDir)) {
            problems.add("--data-dir " + dataDir + " is not a directory");
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
        return new DemoOptions(
                dataDir,
                bootstrap,
                limit,
                items,
                serve,
                bundleDir,
                workDir,
                fresh,
                speedup,
                dashboardPort,
                coldStartFraction);
    }

    private static int positive(String option, String value, int min, List<String> problems) {
        try {
            int parsed = value == null ? min - 1 : Integer.parseInt(value);
            if (parsed >= min) {
                return parsed;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        problems.add(
                option
                        + (min > 0 ? " needs a positive integer" : " needs a non-negative integer")
                        + ", got "
                        + value);
        return min;
    }

    private static double fraction(
            String option, String value, double min, double max, List<String> problems) {
        try {
            double parsed = value == null ? Double.NaN : Double.parseDouble(value);
            if (parsed >= min && parsed <= max) {
                return parsed;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        problems.add(option + " needs a number in [" + min + ", " + max + "], got " + value);
        return min;
    }

    Path catalogFile() {
        Path jsonl = dataDir.resolve("items.jsonl");
        return Files.exists(jsonl) ? jsonl : dataDir.resolve("movies.dat");
    }

    Path interactionsFile() {
        Path jsonl = dataDir.resolve("interactions.jsonl");
        return Files.exists(jsonl) ? jsonl : dataDir.resolve("ratings.dat");
    }

    /** What a work directory's saved progress must match to be resumed. */
    String runKey() {
        return dataDir.toAbsolutePath().normalize()
                + "|items="
                + items
                + "|limit="
                + limit
                + "|cold="
                + coldStartFraction
                + "|bootstrap="
                + (bootstrapServers == null ? "embedded" : bootstrapServers)
                + "|bundle="
                + bundleDir.toAbsolutePath().normalize();
    }
}
