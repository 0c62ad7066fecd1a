package io.sidstream.retrieval.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sidstream.platform.http.BearerTokens;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

/**
 * The one client of retrieval-server's {@code POST /recommendations}, used by the CLI, the
 * dashboard, the local demo and the tests. Thread-safe.
 */
public final class RetrievalClient {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String baseUrl;
    private final Duration timeout;
    private final HttpClient http = HttpClient.newHttpClient();
    private final String token;

    /**
     * @param baseUrl e.g. {@code http://localhost:8081}
     */
    public RetrievalClient(String baseUrl, Duration timeout) {
        this(baseUrl, timeout, null);
    }

    /**
     * @param token bearer token for the API, or null
     */
    public RetrievalClient(String baseUrl, Duration timeout, String token) {
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.timeout = timeout;
        this.token = token;
    }

    public RetrievalClient(String baseUrl) {
        this(baseUrl, Duration.ofSeconds(30));
    }

    public String baseUrl() {
        return baseUrl;
    }

    /**
     * A request: a user, optionally the history as item ids (oldest first; without it the server
     * reads the user's stored history), and the search knobs. {@code null} means "server default".
     */
    public record Query(
            String userId,
            List<String> items,
            Integer k,
            Integer beamWidth,
            List<List<Integer>> includePrefixes,
            List<List<Integer>> excludePrefixes,
            String text,
            Double textWeight,
            boolean textInclude) {
        public Query {
            items = items == null ? null : List.copyOf(items);
            includePrefixes = includePrefixes == null ? List.of() : List.copyOf(includePrefixes);
            excludePrefixes = excludePrefixes == null ? List.of() : List.copyOf(excludePrefixes);
        }

        /** The user's recommendations from their stored history. */
        public static Query forUser(String userId, int k) {
            return new Query(userId, null, k, null, List.of(), List.of(), null, null, false);
        }

        /** Recommendations for an explicit history of item ids. */
        public static Query forItems(String userId, List<String> items, int k) {
            return new Query(userId, items, k, null, List.of(), List.of(), null, null, false);
        }

        public Query withBeamWidth(int beamWidth) {
            return new Query(
                    userId,
                    items,
                    k,
                    beamWidth,
                    includePrefixes,
                    excludePrefixes,
                    text,
                    textWeight,
                    textInclude);
        }

        public Query steered(List<List<Integer>> include, List<List<Integer>> exclude) {
            return new Query(
                    userId, items, k, beamWidth, include, exclude, text, textWeight, textInclude);
        }

        /** Steered toward a sentence ({@code query}); a null weight is the server's default. */
        public Query towardText(String sentence, Double weight) {
            return new Query(
                    userId,
                    items,
                    k,
                    beamWidth,
                    includePrefixes,
                    excludePrefixes,
                    sentence,
                    weight,
                    false);
        }

        /** Only items under the sentence's level-1 code (the hard include). */
        public Query withinText(String sentence) {
            return new Query(
                    userId,
                    items,
                    k,
                    beamWidth,
                    includePrefixes,
                    excludePrefixes,
                    sentence,
                    null,
                    true);
        }

        /** The request body of the HTTP API. */
        public ObjectNode toJson() {
            ObjectNode body = JSON.createObjectNode();
            body.put("userId", userId);
            if (items != null) {
                ArrayNode ids = body.putArray("items");
                items.forEach(ids::add);
            }
            if (k != null) {
                body.put("k", k);
            }
            if (beamWidth != null) {
                body.put("beamWidth", beamWidth);
            }
            if (!includePrefixes.isEmpty()) {
                body.set("includePrefixes", JSON.valueToTree(includePrefixes));
            }
            if (!excludePrefixes.isEmpty()) {
                body.set("excludePrefixes", JSON.valueToTree(excludePrefixes));
            }
            if (text != null && !text.isBlank()) {
                body.put("query", text);
                if (textWeight != null) {
                    body.put("queryWeight", textWeight);
                }
                if (textInclude) {
                    body.put("queryInclude", true);
                }
            }
            return body;
        }
    }

    /** A reply: the HTTP status and its JSON body ({@code {"error": ...}} when not 200). */
    public record Answer(int status, JsonNode body, String raw) {
        public boolean ok() {
            return status == 200;
        }

        /** Item ids of the candidates, best first (empty for an error). */
        public List<String> itemIds() {
            return body.path("candidates").findValuesAsText("itemId");
        }

        /** The server's error text, or the raw body when it is not JSON. */
        public String error() {
            return body.path("error").asText(raw);
        }
    }

    public Answer recommend(Query query) throws IOException, InterruptedException {
        return post(query.toJson().toString());
    }

    /** Sends a raw body, for clients that build their own JSON (and tests of bad input). */
    public Answer post(String body) throws IOException, InterruptedException {
        HttpResponse<String> response;
        try {
            response =
                    http.send(
                            BearerTokens.withToken(
                                            HttpRequest.newBuilder(
                                                            URI.create(
                                                                    baseUrl + "/recommendations"))
                                                    .timeout(timeout)
                                                    .header("Content-Type", "application/json")
                                                    .POST(
                                                            HttpRequest.BodyPublishers.ofString(
                                                                    body)),
                                            token)
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
        } catch (ConnectException e) {
            throw new IllegalStateException("retrieval-server is not answering at " + baseUrl, e);
        }
        JsonNode parsed;
        try {
            parsed = JSON.readTree(response.body());
        } catch (IOException e) {
            parsed = JSON.createObjectNode();
        }
        return new Answer(
                response.statusCode(),
                parsed == null ? JSON.createObjectNode() : parsed,
                response.body());
    }
}
