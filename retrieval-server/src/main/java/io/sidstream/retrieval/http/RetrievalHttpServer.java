package io.sidstream.retrieval.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.sidstream.platform.http.HttpResponses;
import io.sidstream.platform.http.JsonHttpServer;
import io.sidstream.retrieval.RetrievalMetrics;
import io.sidstream.retrieval.batch.MicroBatcher;
import io.sidstream.retrieval.beam.BeamRequest;
import io.sidstream.retrieval.beam.BeamResult;
import io.sidstream.retrieval.beam.SidTrie;
import io.sidstream.retrieval.request.InvalidRequestException;
import io.sidstream.retrieval.request.RequestTranslator;
import io.sidstream.schemas.v1.Recommendations;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

/**
 * HTTP API of retrieval-server (JDK HttpServer):
 *
 * <ul>
 *   <li>{@code POST /recommendations} with JSON {@code {"userId": "u1"}} (the user's stored
 *       history, fetched from ingest-stream), or {@code {"userId": "u1", "items": ["id", ...]}}
 *       (the history as item ids, oldest first, resolved through the live index) or {@code
 *       "history": [[c1, c2, c3, collision], ...]}, plus optional {@code "k"}, {@code "beamWidth"},
 *       {@code "excludeSeen"} (default true), {@code "includePrefixes"}, {@code "excludePrefixes"}.
 *       Answers 200 with the ranked candidates (also published to {@code recs.results.v1}), 400
 *       with the problems for a bad request, 503 while the index is loading.
 *   <li>{@code GET /health} (200 once the index caught up), {@code GET /metrics} (Prometheus).
 * </ul>
 */
public final class RetrievalHttpServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final JsonHttpServer server;
    private final MicroBatcher batcher;
    private final RequestTranslator translator;
    private final SidTrie trie;
    private final String modelVersion;
    private final Supplier<Boolean> ready;
    private final BiConsumer<String, Recommendations> publisher;
    private final RetrievalMetrics metrics;

    public RetrievalHttpServer(
            int port,
            MicroBatcher batcher,
            RequestTranslator translator,
            SidTrie trie,
            String modelVersion,
            Supplier<Boolean> ready,
            Supplier<String> scrape,
            BiConsumer<String, Recommendations> publisher,
            RetrievalMetrics metrics) {
        this.metrics = metrics;
        this.batcher = batcher;
        this.translator = translator;
        this.trie = trie;
        this.modelVersion = modelVersion;
        this.ready = ready;
        this.publisher = publisher;
        server = new JsonHttpServer("retrieval", port, 8, 64);
        // /health/ready (the Kubernetes readiness probe) and /health: ready once the SID index has
        // caught up; /health/live: alive while this answers.
        HttpHandler readiness =
                ex ->
                        HttpResponses.respond(
                                ex,
                                ready.get() ? 200 : 503,
                                "text/plain",
                                ready.get() ? "UP" : "LOADING INDEX");
        server.probe("/health", readiness);
        server.probe("/health/ready", readiness);
        server.probe("/health/live", ex -> HttpResponses.respond(ex, 200, "text/plain", "UP"));
        server.probe(
                "/metrics",
                ex -> HttpResponses.respond(ex, 200, "text/plain; version=0.0.4", scrape.get()));
        server.route("/recommendations", this::recommend);
    }

    private void recommend(HttpExchange ex) throws IOException {
        if (!"POST".equals(ex.getRequestMethod())) {
            HttpResponses.respond(ex, 405, "text/plain", "use POST");
            return;
        }
        if (!ready.get()) {
            HttpResponses.respond(ex, 503, "text/plain", "SID index is loading");
            return;
        }
        Instant received = Instant.now();
        JsonNode body;
        try {
            body = JSON.readTree(ex.getRequestBody());
        } catch (IOException e) {
            HttpResponses.respond(
                    ex, 400, "application/json", error("body is not JSON: " + e.getMessage()));
            return;
        }
        try {
            String userId = body.path("userId").asText("anonymous");
            List<String> itemIds = new ArrayList<>();
            body.path("items").forEach(n -> itemIds.add(n.asText()));
            List<int[]> history =
                    body.has("history")
                            ? arrays(body.path("history"))
                            : translator.historyOfItems(itemIds, trie);
            Set<String> exclude =
                    body.path("excludeSeen").asBoolean(true) ? new HashSet<>(itemIds) : Set.of();
            BeamRequest request =
                    translator.build(
                            history,
                            body.has("beamWidth") ? body.path("beamWidth").asInt() : null,
                            body.path("k").asInt(10),
                            exclude,
                            arrays(body.path("includePrefixes")),
                            arrays(body.path("excludePrefixes")));
            metrics.request("http");
            BeamResult result = batcher.submit(request).get();
            String requestId = UUID.randomUUID().toString();
            publisher.accept(
                    userId,
                    RequestTranslator.toRecord(
                            requestId, userId, result, modelVersion, received, received));
            ObjectNode out = JSON.createObjectNode();
            out.put("requestId", requestId);
            out.put("userId", userId);
            out.put("modelVersion", modelVersion);
            out.put("indexVersion", result.indexVersion());
            out.put("exhausted", result.exhausted());
            ArrayNode candidates = out.putArray("candidates");
            for (BeamResult.Candidate c : result.candidates()) {
                ObjectNode n = candidates.addObject();
                n.put("itemId", c.itemId());
                ArrayNode sid = n.putArray("sid");
                c.sid().forEach(sid::add);
                n.put("score", c.score());
            }
            HttpResponses.respond(ex, 200, "application/json", JSON.writeValueAsString(out));
        } catch (InvalidRequestException e) {
            HttpResponses.respond(ex, 400, "application/json", error(e.getMessage()));
        } catch (io.sidstream.platform.SidstreamException e) {
            HttpResponses.respond(ex, 503, "application/json", error(e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            HttpResponses.respond(ex, 503, "application/json", error("interrupted"));
        } catch (ExecutionException e) {
            HttpResponses.respond(
                    ex, 500, "application/json", error("search failed: " + e.getCause()));
        }
    }

    private static List<int[]> arrays(JsonNode node) {
        List<int[]> out = new ArrayList<>();
        for (JsonNode row : node) {
            if (!row.isArray()) {
                throw new InvalidRequestException("expected arrays of integer codes, got " + row);
            }
            int[] codes = new int[row.size()];
            for (int i = 0; i < codes.length; i++) {
                if (!row.get(i).canConvertToInt()) {
                    throw new InvalidRequestException("code " + row.get(i) + " is not an integer");
                }
                codes[i] = row.get(i).asInt();
            }
            out.add(codes);
        }
        return out;
    }

    private static String error(String message) {
        return JSON.createObjectNode().put("error", message).toString();
    }

    public void start() {
        server.start();
    }

    public int port() {
        return server.port();
    }

    @Override
    public void close() {
        server.close();
    }
}
