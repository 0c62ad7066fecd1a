package io.sidstream.retrieval.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.sidstream.platform.TransientException;
import io.sidstream.platform.http.BearerTokens;
import io.sidstream.platform.http.HttpResponses;
import io.sidstream.platform.http.JsonHttpServer;
import io.sidstream.retrieval.RetrievalMetrics;
import io.sidstream.retrieval.RetrievalSetting;
import io.sidstream.retrieval.batch.MicroBatcher;
import io.sidstream.retrieval.batch.OverloadedException;
import io.sidstream.retrieval.beam.BeamRequest;
import io.sidstream.retrieval.beam.BeamResult;
import io.sidstream.retrieval.beam.SidTrie;
import io.sidstream.retrieval.request.HttpQuery;
import io.sidstream.retrieval.request.InvalidRequestException;
import io.sidstream.retrieval.request.RequestTranslator;
import io.sidstream.retrieval.request.UnknownUserException;
import io.sidstream.schemas.v1.Recommendations;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * HTTP API of retrieval-server (JDK HttpServer):
 *
 * <ul>
 *   <li>{@code POST /recommendations} with JSON {@code {"userId": "u1"}} (the user's stored
 *       history, fetched from ingest-stream), or {@code {"userId": "u1", "items": ["id", ...]}}
 *       (the history as item ids, oldest first, resolved through the live index) or {@code
 *       "history": [[c1, c2, c3, collision], ...]}, plus optional {@code "k"}, {@code "beamWidth"},
 *       {@code "excludeSeen"} (default true), {@code "includePrefixes"}, {@code "excludePrefixes"},
 *       {@code "query"} (a sentence to steer toward), {@code "queryWeight"}, {@code
 *       "queryInclude"}. Answers 200 with the ranked candidates (also published to {@code
 *       recs.results.v1}), 400 with the problems for a bad request, 503 while the index is loading.
 *   <li>{@code GET /health} (200 once the index caught up), {@code GET /metrics} (Prometheus).
 *   <li>Operator actions ({@link AdminActions}; admin token, or loopback only): {@code GET
 *       /admin/models} (the bundle answering and the shadow candidate's figures), {@code POST
 *       /admin/decoder} with {@code {"bundleDir": "..."}} (swap in a decoder-only update), {@code
 *       POST /admin/shadow} with {@code {"bundleDir": "...", "samplePercent": 10}} (score a
 *       candidate in shadow), {@code DELETE /admin/shadow} (stop).
 * </ul>
 */
public final class RetrievalHttpServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Logger LOG = LoggerFactory.getLogger(RetrievalHttpServer.class);
    private static final int DEFAULT_K = 10;
    private static final long DRAIN_LIMIT_BYTES = 64L << 20;

    /**
     * What an operator may do to the running models. A refusal is an {@link
     * IllegalArgumentException} whose message says why; the served model is then unchanged.
     */
    public interface AdminActions {
        JsonNode models();

        JsonNode swapDecoder(java.nio.file.Path bundleDir);

        JsonNode shadow(java.nio.file.Path bundleDir, double samplePercent);

        JsonNode stopShadow();
    }

    /** Publishes a result; the future completes once the broker has it. */
    @FunctionalInterface
    public interface ResultPublisher {
        Future<?> publish(String userId, Recommendations recommendations);
    }

    private final JsonHttpServer server;
    private final MicroBatcher batcher;
    private final RequestTranslator translator;
    private final SidTrie trie;
    private final String modelVersion;
    private final Supplier<Boolean> ready;
    private final ResultPublisher publisher;
    private final int maxBodyBytes;
    private final Duration deadline;
    private final RetrievalMetrics metrics;

    /** With the default worker pool and queue, on every interface, without authentication. */
    public RetrievalHttpServer(
            int port,
            MicroBatcher batcher,
            RequestTranslator translator,
            SidTrie trie,
            String modelVersion,
            Supplier<Boolean> ready,
            Supplier<String> scrape,
            ResultPublisher publisher,
            RetrievalMetrics metrics,
            int maxBodyBytes,
            Duration deadline,
            Supplier<Boolean> alive) {
        this(
                "",
                port,
                Integer.parseInt(RetrievalSetting.HTTP_WORKERS.defaultValue()),
                Integer.parseInt(RetrievalSetting.HTTP_QUEUE.defaultValue()),
                BearerTokens.NONE,
                batcher,
                translator,
                trie,
                modelVersion,
                ready,
                scrape,
                publisher,
                metrics,
                maxBodyBytes,
                deadline,
                alive,
                BearerTokens.NONE,
                null);
    }

    /**
     * @param bindAddress where to listen; blank for every interface
     * @param tokens bearer tokens required on /recommendations (not on probes and metrics)
     */
    public RetrievalHttpServer(
            String bindAddress,
            int port,
            int workers,
            int queue,
            BearerTokens tokens,
            MicroBatcher batcher,
            RequestTranslator translator,
            SidTrie trie,
            String modelVersion,
            Supplier<Boolean> ready,
            Supplier<String> scrape,
            ResultPublisher publisher,
            RetrievalMetrics metrics,
            int maxBodyBytes,
            Duration deadline,
            Supplier<Boolean> alive,
            BearerTokens adminTokens,
            AdminActions admin) {
        this.maxBodyBytes = maxBodyBytes;
        this.deadline = deadline;
        this.metrics = metrics;
        this.batcher = batcher;
        this.translator = translator;
        this.trie = trie;
        this.modelVersion = modelVersion;
        this.ready = ready;
        this.publisher = publisher;
        server =
                new JsonHttpServer("retrieval", bindAddress, port, workers, queue)
                        .requireTokens(tokens);
        // /health/ready (the Kubernetes readiness probe) and /health: ready once the SID index has
        // caught up; /health/live: DOWN once the request loop or the index feed died, so that
        // Kubernetes restarts a pod whose workers are gone.
        HttpHandler readiness =
                ex ->
                        HttpResponses.respond(
                                ex,
                                ready.get() ? 200 : 503,
                                "text/plain",
                                ready.get() ? "UP" : "LOADING INDEX");
        server.probe("/health", readiness);
        server.probe("/health/ready", readiness);
        server.probe(
                "/health/live",
                ex ->
                        HttpResponses.respond(
                                ex,
                                alive.get() ? 200 : 503,
                                "text/plain",
                                alive.get() ? "UP" : "DOWN"));
        server.probe(
                "/metrics",
                ex -> HttpResponses.respond(ex, 200, "text/plain; version=0.0.4", scrape.get()));
        server.route("/recommendations", this::recommend);
        if (admin != null) {
            server.adminRoute("/admin/models", adminTokens, ex -> admin(ex, "GET", admin::models));
            server.adminRoute(
                    "/admin/decoder",
                    adminTokens,
                    ex ->
                            admin(
                                    ex,
                                    "POST",
                                    () -> admin.swapDecoder(bundleDir(JSON.readTree(bodyOf(ex))))));
            server.adminRoute(
                    "/admin/shadow",
                    adminTokens,
                    ex -> {
                        if ("DELETE".equals(ex.getRequestMethod())) {
                            admin(ex, "DELETE", admin::stopShadow);
                            return;
                        }
                        admin(
                                ex,
                                "POST",
                                () -> {
                                    JsonNode body = JSON.readTree(bodyOf(ex));
                                    return admin.shadow(
                                            bundleDir(body),
                                            body.path("samplePercent").asDouble(10));
                                });
                    });
        }
    }

    /** An admin action's answer. */
    @FunctionalInterface
    private interface AdminCall {
        JsonNode call() throws IOException;
    }

    private void admin(HttpExchange ex, String method, AdminCall call) throws IOException {
        if (!method.equals(ex.getRequestMethod())) {
            JsonHttpServer.error(ex, 405, "use " + method);
            return;
        }
        JsonNode answer;
        try {
            answer = call.call();
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            JsonHttpServer.error(ex, 400, "the body is not JSON");
            return;
        } catch (InvalidRequestException e) {
            JsonHttpServer.error(ex, 400, e.getMessage());
            return;
        } catch (IllegalArgumentException e) {
            JsonHttpServer.error(ex, 409, e.getMessage());
            return;
        }
        JsonHttpServer.json(ex, 200, answer);
    }

    private byte[] bodyOf(HttpExchange ex) throws IOException {
        byte[] raw = ex.getRequestBody().readNBytes(64 * 1024 + 1);
        if (raw.length > 64 * 1024) {
            throw new InvalidRequestException("admin request body over 64 KiB");
        }
        return raw;
    }

    private static java.nio.file.Path bundleDir(JsonNode body) {
        String dir = body == null ? "" : body.path("bundleDir").asText("");
        if (dir.isBlank()) {
            throw new InvalidRequestException("name the bundle: {\"bundleDir\": \"...\"}");
        }
        return java.nio.file.Path.of(dir);
    }

    private void recommend(HttpExchange ex) throws IOException {
        if (!"POST".equals(ex.getRequestMethod())) {
            JsonHttpServer.error(ex, 405, "use POST");
            return;
        }
        if (!ready.get()) {
            ex.getResponseHeaders().set("Retry-After", "5");
            JsonHttpServer.error(ex, 503, "SID index is loading");
            return;
        }
        Instant received = Instant.now();
        byte[] raw = ex.getRequestBody().readNBytes(maxBodyBytes + 1);
        if (raw.length > maxBodyBytes) {
            // Read and drop what the client is still sending (up to a bound), so that it sees
            // the 413 instead of a connection reset mid-upload.
            byte[] sink = new byte[64 * 1024];
            long dropped = 0;
            int n;
            while (dropped < DRAIN_LIMIT_BYTES && (n = ex.getRequestBody().read(sink)) >= 0) {
                dropped += n;
            }
            ex.getResponseHeaders().set("Connection", "close");
            JsonHttpServer.error(ex, 413, "request body larger than " + maxBodyBytes + " bytes");
            return;
        }
        JsonNode body;
        try {
            body = raw.length == 0 ? null : JSON.readTree(raw);
        } catch (IOException e) {
            JsonHttpServer.error(ex, 400, "the body is not JSON");
            return;
        }
        try {
            HttpQuery query = HttpQuery.parse(body, trie.levels(), trie.codebookSize());
            String source;
            List<int[]> history;
            Set<String> seen;
            if (query.history() != null && translator.readsHistoriesById()) {
                throw new InvalidRequestException(
                        "this instance serves a SID space of its own: send the history as"
                                + " \"items\" (ids), not as SIDs");
            }
            if (query.history() != null) {
                source = "history";
                history = query.history();
                seen = Set.of();
            } else if (query.items() != null) {
                source = "items";
                history = translator.historyOfItems(query.items(), trie);
                seen = new HashSet<>(query.items());
            } else {
                source = "stored";
                IngestHistoryClient.History stored;
                try {
                    stored = translator.storedHistory(query.userId());
                } catch (UnknownUserException e) {
                    if (!query.coldStart()) {
                        JsonHttpServer.error(
                                ex,
                                404,
                                e.getMessage()
                                        + "; send \"coldStart\": true for recommendations"
                                        + " without one");
                        return;
                    }
                    stored = new IngestHistoryClient.History(List.of(), List.of());
                    source = "cold-start";
                }
                history = stored.sids();
                seen = new HashSet<>(stored.itemIds());
            }
            BeamRequest request =
                    translator.build(
                            history,
                            query.beamWidth(),
                            query.k() == null ? DEFAULT_K : query.k(),
                            query.excludeSeen() ? seen : Set.of(),
                            query.includePrefixes(),
                            query.excludePrefixes());
            int[] queryCodes = null;
            if (query.query() != null) {
                RequestTranslator.Steered steered =
                        translator.steer(
                                request, query.query(), query.queryWeight(), query.queryInclude());
                request = steered.request();
                queryCodes = steered.codes();
            }
            metrics.request("http");
            BeamResult result =
                    batcher.submit(request, MicroBatcher.Lane.INTERACTIVE, received.plus(deadline))
                            .get(deadline.toMillis(), TimeUnit.MILLISECONDS);
            String requestId = UUID.randomUUID().toString();
            // Answered only once the result is on recs.results.v1: a 200 is never a lost result.
            Recommendations published =
                    RequestTranslator.toRecord(
                            requestId, query.userId(), result, modelVersion, received, received);
            publisher
                    .publish(query.userId(), published)
                    .get(deadline.toMillis(), TimeUnit.MILLISECONDS);
            ObjectNode out = JSON.createObjectNode();
            out.put("requestId", requestId);
            out.put("userId", query.userId());
            // The answer names the same bundle as the published record.
            out.put("modelVersion", published.getModelVersion());
            out.put("indexVersion", result.indexVersion());
            out.put("historySource", source);
            out.put("historyLength", history.size());
            out.put("exhausted", result.exhausted());
            if (queryCodes != null) {
                ObjectNode q = out.putObject("query");
                ArrayNode codes = q.putArray("sidPrefix");
                for (int c : queryCodes) {
                    codes.add(c);
                }
                q.put("mode", query.queryInclude() ? "include" : "soft");
                if (!query.queryInclude()) {
                    // Candidates' scores include this bonus per matching level.
                    q.put("weight", query.queryWeight());
                }
            }
            ArrayNode candidates = out.putArray("candidates");
            for (BeamResult.Candidate c : result.candidates()) {
                ObjectNode n = candidates.addObject();
                n.put("itemId", c.itemId());
                ArrayNode sid = n.putArray("sid");
                c.sid().forEach(sid::add);
                n.put("score", c.score());
            }
            JsonHttpServer.json(ex, 200, out);
        } catch (InvalidRequestException e) {
            JsonHttpServer.error(ex, 400, e.getMessage());
        } catch (TransientException | TimeoutException e) {
            unavailable(ex, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            JsonHttpServer.error(ex, 503, "interrupted");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof OverloadedException) {
                ex.getResponseHeaders().set("Retry-After", "1");
                JsonHttpServer.error(ex, 429, "too many requests: " + e.getCause().getMessage());
                return;
            }
            if (e.getCause() instanceof TransientException) {
                unavailable(ex, e.getCause());
                return;
            }
            LOG.error("search or publication failed", e.getCause());
            JsonHttpServer.error(ex, 500, "search failed: " + shortMessage(e.getCause()));
        }
    }

    /** 503 with Retry-After: the request may succeed when sent again. */
    private static void unavailable(HttpExchange ex, Throwable e) throws IOException {
        ex.getResponseHeaders().set("Retry-After", "1");
        JsonHttpServer.error(ex, 503, "temporarily unavailable, retry: " + shortMessage(e));
    }

    private static String shortMessage(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return m.length() <= 200 ? m : m.substring(0, 200) + "...";
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
