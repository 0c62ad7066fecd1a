package io.sidstream.ingest.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sidstream.ingest.store.IngestStores;
import io.sidstream.ingest.v1.HistoryItem;
import io.sidstream.ingest.v1.HistoryState;
import io.sidstream.ingest.v1.ItemState;
import io.sidstream.platform.http.BearerTokens;
import io.sidstream.platform.http.HttpResponses;
import io.sidstream.platform.http.JsonHttpServer;
import io.sidstream.schemas.v1.ItemSid;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * HTTP endpoints of an ingest-stream instance (JDK HttpServer):
 *
 * <ul>
 *   <li>{@code GET /health} — 200 while Kafka Streams is RUNNING or REBALANCING, else 503 (probes);
 *   <li>{@code GET /metrics} — Prometheus text format;
 *   <li>{@code GET /items/{id}/sid} — the item's SID from the local {@code item-state} store: 200
 *       with JSON, 404 when the item has no SID (yet), 503 while the store is not queryable;
 *   <li>{@code GET /users/{id}/history} — the user's history with current SIDs, answered by any
 *       instance (routed to the owner of the user's partition).
 * </ul>
 */
public final class IngestHttpServer implements AutoCloseable {
    private final JsonHttpServer server;

    private final String advertisedHost;
    private final HttpClient client = HttpClient.newHttpClient();

    public IngestHttpServer(
            int port,
            Supplier<KafkaStreams> streams,
            PrometheusMeterRegistry registry,
            String advertisedHost) {
        this("", port, BearerTokens.NONE, streams, registry, advertisedHost);
    }

    /**
     * @param bindAddress where to listen; blank for every interface
     * @param tokens bearer tokens required on the API (not on probes and metrics)
     */
    public IngestHttpServer(
            String bindAddress,
            int port,
            BearerTokens tokens,
            Supplier<KafkaStreams> streams,
            PrometheusMeterRegistry registry,
            String advertisedHost) {
        this.advertisedHost = advertisedHost;
        server = new JsonHttpServer("ingest", bindAddress, port, 4, 64).requireTokens(tokens);
        // /health/ready and /health/live are the Kubernetes probes: restoring state (REBALANCING)
        // is alive but not ready, and only a Streams instance that failed or stopped is dead.
        // /health (running or rebalancing) is kept for existing callers.
        Set<KafkaStreams.State> dead =
                EnumSet.of(
                        KafkaStreams.State.ERROR,
                        KafkaStreams.State.PENDING_ERROR,
                        KafkaStreams.State.NOT_RUNNING);
        server.probe(
                "/health",
                stateProbe(
                        streams,
                        s ->
                                s == KafkaStreams.State.RUNNING
                                        || s == KafkaStreams.State.REBALANCING));
        server.probe("/health/ready", stateProbe(streams, s -> s == KafkaStreams.State.RUNNING));
        server.probe("/health/live", stateProbe(streams, s -> !dead.contains(s)));
        server.probe(
                "/metrics",
                ex ->
                        HttpResponses.respond(
                                ex, 200, "text/plain; version=0.0.4", registry.scrape()));
        server.routeUnder("/items/", ex -> itemSid(ex, streams.get()));
        server.routeUnder("/users/", ex -> userHistory(ex, streams.get()));
    }

    private static HttpHandler stateProbe(
            Supplier<KafkaStreams> streams, Predicate<KafkaStreams.State> healthy) {
        return ex -> {
            KafkaStreams.State state = streams.get().state();
            HttpResponses.respond(ex, healthy.test(state) ? 200 : 503, "text/plain", state.name());
        };
    }

    private static void itemSid(HttpExchange ex, KafkaStreams streams) throws IOException {
        String path = ex.getRequestURI().getRawPath();
        if (!"GET".equals(ex.getRequestMethod()) || !path.endsWith("/sid")) {
            HttpResponses.respond(ex, 404, "text/plain", "use GET /items/{id}/sid");
            return;
        }
        String id =
                URLDecoder.decode(
                        path.substring("/items/".length(), path.length() - "/sid".length()),
                        StandardCharsets.UTF_8);
        ItemState state;
        try {
            ReadOnlyKeyValueStore<String, ItemState> store =
                    streams.store(
                            StoreQueryParameters.fromNameAndType(
                                    IngestStores.ITEM_STATE, QueryableStoreTypes.keyValueStore()));
            state = store.get(id);
        } catch (InvalidStateStoreException e) {
            HttpResponses.respond(
                    ex, 503, "text/plain", "store not queryable yet: " + e.getMessage());
            return;
        }
        if (state == null || state.getSid() == null) {
            HttpResponses.respond(
                    ex,
                    404,
                    "application/json",
                    "{\"itemId\":" + json(id) + ",\"error\":\"no SID\"}");
            return;
        }
        HttpResponses.respond(
                ex,
                200,
                "application/json",
                "{\"itemId\":"
                        + json(id)
                        + ",\"sid\":"
                        + state.getSid()
                        + ",\"seq\":"
                        + state.getSeq()
                        + "}");
    }

    /**
     * GET /users/{id}/history: the user's history with current SIDs, from this instance's store
     * when it owns the user's partition, else fetched from the owner (found through Kafka Streams
     * metadata) and relayed. 404 when the user has none; 503 while the owner is unknown
     * (rebalance).
     */
    private void userHistory(HttpExchange ex, KafkaStreams streams) throws IOException {
        String path = ex.getRequestURI().getRawPath();
        if (!"GET".equals(ex.getRequestMethod()) || !path.endsWith("/history")) {
            HttpResponses.respond(ex, 404, "text/plain", "use GET /users/{id}/history");
            return;
        }
        String user =
                URLDecoder.decode(
                        path.substring("/users/".length(), path.length() - "/history".length()),
                        StandardCharsets.UTF_8);
        boolean forwarded = "1".equals(ex.getRequestHeaders().getFirst("X-Sidstream-Forwarded"));
        KeyQueryMetadata owner =
                streams.queryMetadataForKey(
                        IngestStores.USER_HISTORY, user, Serdes.String().serializer());
        if (owner == null || owner.activeHost() == null || owner.activeHost().port() < 0) {
            HttpResponses.respond(
                    ex, 503, "text/plain", "owner of user " + user + " unknown (rebalancing?)");
            return;
        }
        boolean local =
                owner.activeHost().host().equals(advertisedHost)
                        && owner.activeHost().port() == server.port();
        if (!local && !forwarded) {
            try {
                HttpResponse<String> relayed =
                        client.send(
                                BearerTokens.withAuthorization(
                                                HttpRequest.newBuilder(
                                                                URI.create(
                                                                        "http://"
                                                                                + owner.activeHost()
                                                                                        .host()
                                                                                + ":"
                                                                                + owner.activeHost()
                                                                                        .port()
                                                                                + path))
                                                        .header("X-Sidstream-Forwarded", "1")
                                                        .timeout(java.time.Duration.ofSeconds(5)),
                                                ex.getRequestHeaders().getFirst("Authorization"))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString());
                HttpResponses.respond(ex, relayed.statusCode(), "application/json", relayed.body());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                HttpResponses.respond(ex, 503, "text/plain", "interrupted");
            } catch (IOException e) {
                HttpResponses.respond(
                        ex,
                        503,
                        "text/plain",
                        "owner " + owner.activeHost() + " unreachable: " + e.getMessage());
            }
            return;
        }
        HistoryState state;
        ReadOnlyKeyValueStore<String, ItemSid> sids;
        try {
            state =
                    streams.store(
                                    StoreQueryParameters.fromNameAndType(
                                            IngestStores.USER_HISTORY,
                                            QueryableStoreTypes
                                                    .<String, HistoryState>keyValueStore()))
                            .get(user);
            sids =
                    streams.store(
                            StoreQueryParameters.fromNameAndType(
                                    IngestStores.ITEM_SID_INDEX,
                                    QueryableStoreTypes.<String, ItemSid>keyValueStore()));
        } catch (InvalidStateStoreException e) {
            HttpResponses.respond(
                    ex, 503, "text/plain", "store not queryable yet: " + e.getMessage());
            return;
        }
        if (state == null) {
            HttpResponses.respond(
                    ex,
                    404,
                    "application/json",
                    "{\"userId\":" + json(user) + ",\"error\":\"no history\"}");
            return;
        }
        StringBuilder body =
                new StringBuilder("{\"userId\":").append(json(user)).append(",\"entries\":[");
        boolean first = true;
        for (HistoryItem item : state.getEntries()) {
            ItemSid sid = sids.get(item.getItemId());
            if (sid == null) {
                continue;
            }
            body.append(first ? "" : ",")
                    .append("{\"itemId\":")
                    .append(json(item.getItemId()))
                    .append(",\"sid\":")
                    .append(sid.getSid().toString().replace(" ", ""))
                    .append(",\"eventTime\":")
                    .append(item.getEventTime())
                    .append('}');
            first = false;
        }
        HttpResponses.respond(ex, 200, "application/json", body.append("]}").toString());
    }

    static String json(String s) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }

    public void start() {
        server.start();
    }

    /** The bound port (useful when configured as 0). */
    public int port() {
        return server.port();
    }

    @Override
    public void close() {
        server.close();
    }
}
