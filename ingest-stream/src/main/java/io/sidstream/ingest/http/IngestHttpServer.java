package io.sidstream.ingest.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sidstream.ingest.store.IngestStores;
import io.sidstream.ingest.v1.ItemState;
import io.sidstream.schemas.runtime.HttpResponses;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * HTTP endpoints of an ingest-stream instance (JDK HttpServer):
 *
 * <ul>
 *   <li>{@code GET /health} — 200 while Kafka Streams is RUNNING or REBALANCING, else 503 (probes);
 *   <li>{@code GET /metrics} — Prometheus text format;
 *   <li>{@code GET /items/{id}/sid} — the item's SID from the local {@code item-state} store: 200
 *       with JSON, 404 when the item has no SID (yet), 503 while the store is not queryable.
 * </ul>
 */
public final class IngestHttpServer implements AutoCloseable {
    private final HttpServer server;

    public IngestHttpServer(
            int port, Supplier<KafkaStreams> streams, PrometheusMeterRegistry registry) {
        try {
            server = HttpServer.create(new InetSocketAddress(port), 0);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on port " + port, e);
        }
        server.setExecutor(Executors.newFixedThreadPool(2));
        server.createContext(
                "/health",
                ex -> {
                    KafkaStreams.State state = streams.get().state();
                    boolean up =
                            state == KafkaStreams.State.RUNNING
                                    || state == KafkaStreams.State.REBALANCING;
                    HttpResponses.respond(ex, up ? 200 : 503, "text/plain", state.name());
                });
        server.createContext(
                "/metrics",
                ex ->
                        HttpResponses.respond(
                                ex, 200, "text/plain; version=0.0.4", registry.scrape()));
        server.createContext("/items/", ex -> itemSid(ex, streams.get()));
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
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
