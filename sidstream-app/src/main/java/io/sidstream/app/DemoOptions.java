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
 */
record DemoOptions(
        Path dataDir,
        String bootstrapServers,
        int limit,
        int items,
        boolean serve,
        Path bundleDir) {

    static DemoOptions parse(String[] args) {
        Path dataDir = Path.of("data", "movietweetings-100k");
        String bootstrap = null;
        int limit = Integer.MAX_VALUE;
        int items = Integer.MAX_VALUE;
        boolean serve = true;
        Path bundleDir = Path.of("models", "default");
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--data-dir" -> dataDir = value == null ? dataDir : Path.of(value);
                case "--bootstrap-servers" -> bootstrap = value;
                case "--bundle" -> bundleDir = value == null ? bundleDir : Path.of(value);
                case "--no-serve" -> {
                    serve = false;
                    continue;
                }
                case "--items" -> {
                    try {
                        items = value == null ? -1 : Integer.parseInt(value);
                    } catch (NumberFormatException e) {
                        items = -1;
                    }
                    if (items < 1) {
                        problems.add("--items needs a positive integer, got " + value);
                    }
                }
                case "--limit" -> {
                    try {
                        limit = value == null ? -1 : Integer.parseInt(value);
                    } catch (NumberFormatException e) {
                        limit = -1;
                    }
                    if (limit < 0) {
                        problems.add("--limit needs a non-negative integer, got " + value);
                    }
                }
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
        return new DemoOptions(dataDir, bootstrap, limit, items, serve, bundleDir);
    }

    Path catalogFile() {
        Path jsonl = dataDir.resolve("items.jsonl");
        return Files.exists(jsonl) ? jsonl : dataDir.resolve("movies.dat");
    }

    Path interactionsFile() {
        Path jsonl = dataDir.resolve("interactions.jsonl");
        return Files.exists(jsonl) ? jsonl : dataDir.resolve("ratings.dat");
    }
}
