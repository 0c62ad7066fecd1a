package io.sidstream.datasets;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Reads catalogs and interaction logs. Two formats, chosen by file extension:
 *
 * <ul>
 *   <li>{@code .dat}: the MovieTweetings/MovieLens {@code ::} format ({@code
 *       id::title::genre|genre} and {@code user::item::rating::unix_seconds});
 *   <li>{@code .jsonl}: one JSON object per line; catalog lines {@code {"itemId", "title",
 *       "description"?, "categories"?, "brand"?}}, interaction lines {@code {"userId", "itemId",
 *       "eventType"?, "value"?, "eventTime" (epoch millis)}}.
 * </ul>
 *
 * A malformed line fails the whole read with {@link DatasetFormatException} naming file and line:
 * training on silently dropped rows would be worse.
 */
public final class Datasets {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Datasets() {}

    /** The catalog in file order. */
    public static List<CatalogItem> readCatalog(Path file) {
        boolean json = isJsonLines(file);
        List<CatalogItem> items = new ArrayList<>();
        forEachLine(
                file,
                (line, n) ->
                        items.add(json ? catalogJson(file, n, line) : catalogDat(file, n, line)));
        return items;
    }

    /**
     * A whole file read without stopping at the first bad line: the records of the good lines and
     * every bad line's problem, so a user fixes them all at once.
     */
    public record Parsed<T>(List<T> records, List<DatasetFormatException> problems) {
        public Parsed {
            records = List.copyOf(records);
            problems = List.copyOf(problems);
        }
    }

    /** {@link #readCatalog}, collecting every bad line instead of failing on the first. */
    public static Parsed<CatalogItem> parseCatalog(Path file) {
        boolean json = isJsonLines(file);
        List<CatalogItem> items = new ArrayList<>();
        List<DatasetFormatException> problems = new ArrayList<>();
        forEachLine(
                file,
                (line, n) -> {
                    try {
                        items.add(json ? catalogJson(file, n, line) : catalogDat(file, n, line));
                    } catch (DatasetFormatException e) {
                        problems.add(e);
                    }
                });
        return new Parsed<>(items, problems);
    }

    /** {@link #readInteractions}, collecting every bad line instead of failing on the first. */
    public static Parsed<Interaction> parseInteractions(Path file) {
        boolean json = isJsonLines(file);
        List<Interaction> interactions = new ArrayList<>();
        List<DatasetFormatException> problems = new ArrayList<>();
        forEachLine(
                file,
                (line, n) -> {
                    try {
                        interactions.add(
                                json
                                        ? interactionJson(file, n, line)
                                        : interactionDat(file, n, line));
                    } catch (DatasetFormatException e) {
                        problems.add(e);
                    }
                });
        interactions.sort(Comparator.comparingLong(Interaction::timestampMillis));
        return new Parsed<>(interactions, problems);
    }

    /** The interactions sorted by event time (ties keep file order), ready to replay. */
    public static List<Interaction> readInteractions(Path file) {
        boolean json = isJsonLines(file);
        List<Interaction> interactions = new ArrayList<>();
        forEachLine(
                file,
                (line, n) ->
                        interactions.add(
                                json
                                        ? interactionJson(file, n, line)
                                        : interactionDat(file, n, line)));
        interactions.sort(Comparator.comparingLong(Interaction::timestampMillis));
        return interactions;
    }

    private static CatalogItem catalogDat(Path file, long n, String line) {
        String[] f = line.split("::", -1);
        if (f.length != 3 || f[0].isBlank() || f[1].isBlank()) {
            throw new DatasetFormatException(
                    file.toString(), n, "expected id::title::genres, got '" + line + "'");
        }
        List<String> genres =
                f[2].isBlank() ? List.of() : Arrays.stream(f[2].split("\\|")).toList();
        return new CatalogItem(f[0], f[1], null, genres, null);
    }

    private static Interaction interactionDat(Path file, long n, String line) {
        String[] f = line.split("::", -1);
        if (f.length != 4) {
            throw new DatasetFormatException(
                    file.toString(), n, "expected user::item::rating::seconds, got '" + line + "'");
        }
        try {
            return new Interaction(
                    f[0], f[1], "RATING", Double.parseDouble(f[2]), Long.parseLong(f[3]) * 1000L);
        } catch (NumberFormatException e) {
            throw new DatasetFormatException(file.toString(), n, "bad number: " + e.getMessage());
        }
    }

    private static CatalogItem catalogJson(Path file, long n, String line) {
        JsonNode node = parse(file, n, line);
        String id = text(node, "itemId");
        String title = text(node, "title");
        if (id == null || title == null) {
            throw new DatasetFormatException(file.toString(), n, "itemId and title are required");
        }
        List<String> categories = new ArrayList<>();
        node.path("categories").forEach(c -> categories.add(c.asText()));
        return new CatalogItem(
                id, title, text(node, "description"), categories, text(node, "brand"));
    }

    private static Interaction interactionJson(Path file, long n, String line) {
        JsonNode node = parse(file, n, line);
        String user = text(node, "userId");
        String item = text(node, "itemId");
        if (user == null || item == null || !node.path("eventTime").canConvertToLong()) {
            throw new DatasetFormatException(
                    file.toString(), n, "userId, itemId and eventTime (epoch ms) are required");
        }
        String type = text(node, "eventType");
        return new Interaction(
                user,
                item,
                type == null ? "OTHER" : type,
                node.path("value").isNumber() ? node.path("value").asDouble() : Double.NaN,
                node.path("eventTime").asLong());
    }

    private static JsonNode parse(Path file, long n, String line) {
        try {
            return JSON.readTree(line);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            // The parser's own words, without its location dump (the line number is ours).
            throw new DatasetFormatException(
                    file.toString(), n, "invalid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new DatasetFormatException(file.toString(), n, "invalid JSON: " + e.getMessage());
        }
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }

    private static boolean isJsonLines(Path file) {
        String name = file.getFileName().toString();
        return name.endsWith(".jsonl") || name.endsWith(".json");
    }

    private interface LineHandler {
        void accept(String line, long lineNumber);
    }

    private static void forEachLine(Path file, LineHandler handler) {
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            long n = 0;
            while ((line = reader.readLine()) != null) {
                n++;
                if (!line.isBlank()) {
                    handler.accept(line, n);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }
}
