package io.sidstream.retrieval.request;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * The body of {@code POST /recommendations}, validated strictly against the documented request
 * schema (README, "HTTP API"): a JSON object with only the fields below, each of its declared type,
 * every problem reported at once in the API's own field names, and no error echoing more than a
 * short excerpt of the input.
 *
 * @param userId required, 1..256 characters
 * @param items the history as item ids, oldest first; null when absent
 * @param history the history as SIDs, oldest first; null when absent
 * @param k candidates to return; null for the default (10)
 * @param beamWidth null for the server default
 * @param excludeSeen leave the history's items out of the answer (default true)
 * @param coldStart answer a user with no stored history from an empty one instead of 404
 * @param query a sentence to steer toward (its SID through the bundle's RQ-VAE), or null
 * @param queryWeight bonus per SID level on the sentence's prefix (soft steering)
 * @param queryInclude instead of a bonus, return only items under the sentence's level-1 code
 */
public record HttpQuery(
        String userId,
        List<String> items,
        List<int[]> history,
        Integer k,
        Integer beamWidth,
        boolean excludeSeen,
        List<int[]> includePrefixes,
        List<int[]> excludePrefixes,
        boolean coldStart,
        String query,
        double queryWeight,
        boolean queryInclude) {

    public static final int MAX_USER_ID_CHARS = 256;
    public static final int MAX_HISTORY_ITEMS = 1_000;
    public static final int MAX_PREFIXES = 64;
    public static final int MAX_QUERY_CHARS = 1_000;
    public static final double DEFAULT_QUERY_WEIGHT = 2.0;

    static final Set<String> FIELDS =
            Set.of(
                    "userId",
                    "items",
                    "history",
                    "k",
                    "beamWidth",
                    "excludeSeen",
                    "includePrefixes",
                    "excludePrefixes",
                    "coldStart",
                    "query",
                    "queryWeight",
                    "queryInclude");

    /** Parses a request body; throws {@link InvalidRequestException} listing every problem. */
    public static HttpQuery parse(JsonNode body, int levels, int codebookSize) {
        List<String> problems = new ArrayList<>();
        if (body == null || !body.isObject()) {
            throw new InvalidRequestException(
                    "the body must be a JSON object such as {\"userId\": \"u1\"}, got "
                            + (body == null || body.isMissingNode() ? "nothing" : kind(body)));
        }
        List<String> unknown = new ArrayList<>();
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!FIELDS.contains(name)) {
                unknown.add(excerpt(name));
            }
        }
        if (!unknown.isEmpty()) {
            problems.add(
                    "unknown field(s) "
                            + unknown
                            + "; the fields are "
                            + FIELDS.stream().sorted().toList());
        }
        String userId = null;
        JsonNode u = body.get("userId");
        if (u == null || u.isNull()) {
            problems.add("userId is required");
        } else if (!u.isTextual() || u.asText().isBlank()) {
            problems.add("userId must be a non-empty string, got " + describe(u));
        } else if (u.asText().length() > MAX_USER_ID_CHARS) {
            problems.add(
                    "userId has "
                            + u.asText().length()
                            + " characters; at most "
                            + MAX_USER_ID_CHARS);
        } else {
            userId = u.asText();
        }
        List<String> items = null;
        JsonNode i = body.get("items");
        if (i != null && !i.isNull()) {
            if (!i.isArray()) {
                problems.add("items must be an array of item ids, got " + describe(i));
            } else if (i.size() > MAX_HISTORY_ITEMS) {
                problems.add("items has " + i.size() + " ids; at most " + MAX_HISTORY_ITEMS);
            } else {
                items = new ArrayList<>();
                for (JsonNode id : i) {
                    if (!id.isTextual() || id.asText().isEmpty()) {
                        problems.add("items must hold non-empty strings, got " + describe(id));
                        break;
                    }
                    items.add(id.asText());
                }
            }
        }
        List<int[]> history =
                codeLists(
                        body,
                        "history",
                        levels + 1,
                        levels + 1,
                        levels,
                        codebookSize,
                        MAX_HISTORY_ITEMS,
                        problems);
        if (items != null && history != null) {
            problems.add("give either items or history, not both");
        }
        Integer k = integer(body, "k", 1, 1_000, problems);
        Integer beamWidth = integer(body, "beamWidth", 1, 1 << 16, problems);
        boolean excludeSeen = bool(body, "excludeSeen", true, problems);
        boolean coldStart = bool(body, "coldStart", false, problems);
        List<int[]> include =
                codeLists(
                        body,
                        "includePrefixes",
                        1,
                        levels,
                        levels,
                        codebookSize,
                        MAX_PREFIXES,
                        problems);
        List<int[]> exclude =
                codeLists(
                        body,
                        "excludePrefixes",
                        1,
                        levels,
                        levels,
                        codebookSize,
                        MAX_PREFIXES,
                        problems);
        String query = null;
        JsonNode q = body.get("query");
        if (q != null && !q.isNull()) {
            if (!q.isTextual() || q.asText().isBlank()) {
                problems.add("query must be a non-empty sentence, got " + describe(q));
            } else if (q.asText().length() > MAX_QUERY_CHARS) {
                problems.add(
                        "query has "
                                + q.asText().length()
                                + " characters; at most "
                                + MAX_QUERY_CHARS);
            } else {
                query = q.asText();
            }
        }
        double queryWeight = DEFAULT_QUERY_WEIGHT;
        JsonNode w = body.get("queryWeight");
        if (w != null && !w.isNull()) {
            if (!w.isNumber() || !(w.asDouble() >= 0 && w.asDouble() <= 100)) {
                problems.add("queryWeight must be a number in [0, 100], got " + describe(w));
            } else {
                queryWeight = w.asDouble();
            }
        }
        boolean queryInclude = bool(body, "queryInclude", false, problems);
        if (query == null && (w != null || body.has("queryInclude"))) {
            problems.add("queryWeight and queryInclude need a query");
        }
        if (!problems.isEmpty()) {
            throw new InvalidRequestException(String.join("; ", problems));
        }
        return new HttpQuery(
                userId,
                items,
                history,
                k,
                beamWidth,
                excludeSeen,
                include == null ? List.of() : include,
                exclude == null ? List.of() : exclude,
                coldStart,
                query,
                queryWeight,
                queryInclude);
    }

    private static Integer integer(
            JsonNode body, String field, int min, int max, List<String> problems) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isIntegralNumber() || !n.canConvertToInt()) {
            problems.add(field + " must be an integer, got " + describe(n));
            return null;
        }
        if (n.asInt() < min || n.asInt() > max) {
            problems.add(field + " " + n.asInt() + " is outside [" + min + ", " + max + "]");
            return null;
        }
        return n.asInt();
    }

    private static boolean bool(JsonNode body, String field, boolean dflt, List<String> problems) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            return dflt;
        }
        if (!n.isBoolean()) {
            problems.add(field + " must be true or false, got " + describe(n));
            return dflt;
        }
        return n.asBoolean();
    }

    /** Arrays of integer codes (SIDs or prefixes), every semantic code in [0, K). */
    private static List<int[]> codeLists(
            JsonNode body,
            String field,
            int minLength,
            int maxLength,
            int levels,
            int codebookSize,
            int maxRows,
            List<String> problems) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isArray()) {
            problems.add(field + " must be an array of arrays of codes, got " + describe(n));
            return null;
        }
        if (n.size() > maxRows) {
            problems.add(field + " has " + n.size() + " entries; at most " + maxRows);
            return null;
        }
        List<int[]> out = new ArrayList<>();
        for (JsonNode row : n) {
            if (!row.isArray() || row.size() < minLength || row.size() > maxLength) {
                problems.add(
                        field
                                + " entries must be arrays of "
                                + (minLength == maxLength
                                        ? minLength
                                        : minLength + " to " + maxLength)
                                + " integer codes, got "
                                + describe(row));
                return null;
            }
            int[] codes = new int[row.size()];
            for (int c = 0; c < codes.length; c++) {
                JsonNode code = row.get(c);
                if (!code.isIntegralNumber() || !code.canConvertToInt()) {
                    problems.add(field + " codes must be integers, got " + describe(code));
                    return null;
                }
                codes[c] = code.asInt();
                // The last code of a full SID is the collision code, which is not a codebook
                // index; every semantic code (level < L) must be.
                boolean semantic = c < levels;
                if (codes[c] < 0 || (semantic && codes[c] >= codebookSize)) {
                    problems.add(
                            field
                                    + " code "
                                    + codes[c]
                                    + " at level "
                                    + c
                                    + " is outside [0, "
                                    + (semantic ? codebookSize : Integer.MAX_VALUE)
                                    + ")");
                    return null;
                }
            }
            out.add(codes);
        }
        return out;
    }

    private static String kind(JsonNode n) {
        return n.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    }

    /** A short, safe description of a value: never the whole input. */
    private static String describe(JsonNode n) {
        return kind(n) + " " + excerpt(n.toString());
    }

    private static String excerpt(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "... (" + s.length() + " chars)";
    }
}
