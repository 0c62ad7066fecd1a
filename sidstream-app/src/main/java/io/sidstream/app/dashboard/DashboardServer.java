package io.sidstream.app.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import io.sidstream.platform.http.HttpResponses;
import io.sidstream.platform.http.JsonHttpServer;
import io.sidstream.retrieval.http.RetrievalClient;
import io.sidstream.schemas.v1.Candidate;
import io.sidstream.schemas.v1.DeadLetter;
import io.sidstream.schemas.v1.Recommendations;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The local dashboard: one static page (no build toolchain) and a small JSON API over the {@link
 * LiveView} and the two services' HTTP APIs. Listens on loopback only.
 */
public final class DashboardServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final JsonHttpServer server;
    private final LiveView view;
    private final DemoStatus status;
    private final String ingestUrl;
    private final String retrievalUrl;
    private final RetrievalClient retrieval;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** What the demo is doing, shown in the header; written by the demo, read by the page. */
    public static final class DemoStatus {
        public volatile String phase = "starting";
        public volatile long done;
        public volatile long total;
        public volatile String bundleVersion = "";
        public volatile String executionProvider = "";
        // The new release's way into recommendations, once the demo has shown it.
        public volatile String freshItem = "";

        public void phase(String phase, long total) {
            this.phase = phase;
            this.total = total;
            this.done = 0;
        }
    }

    private DashboardServer(
            JsonHttpServer server,
            LiveView view,
            DemoStatus status,
            String ingestUrl,
            String retrievalUrl) {
        this.server = server;
        this.view = view;
        this.status = status;
        this.ingestUrl = ingestUrl;
        this.retrievalUrl = retrievalUrl;
        this.retrieval = new RetrievalClient(retrievalUrl);
        server.route("/", ex -> resource(ex, "index.html", "text/html"));
        server.route("/api/summary", ex -> json(ex, this::summary));
        server.route("/api/codebook", ex -> json(ex, this::codebook));
        server.route("/api/tree", ex -> json(ex, () -> tree(query(ex))));
        server.route("/api/users", ex -> json(ex, this::users));
        server.route("/api/cold-start", ex -> json(ex, this::coldStart));
        server.routeUnder("/api/users/", this::user);
    }

    /**
     * Starts on loopback {@code port}; when the default port is taken, on any free port instead
     * (the caller prints the one in use). Port 0 picks any free port.
     */
    public static DashboardServer start(
            int port,
            boolean fallBackToAnyPort,
            LiveView view,
            DemoStatus status,
            String ingestUrl,
            String retrievalUrl) {
        JsonHttpServer server;
        try {
            server = bind(port);
        } catch (UncheckedIOException e) {
            if (!(e.getCause() instanceof BindException)) {
                throw e;
            }
            if (!fallBackToAnyPort) {
                throw new IllegalArgumentException(
                        "dashboard port "
                                + port
                                + " is in use; pick another with --dashboard-port");
            }
            server = bind(0);
        }
        DashboardServer dashboard =
                new DashboardServer(server, view, status, ingestUrl, retrievalUrl);
        server.start();
        return dashboard;
    }

    private static JsonHttpServer bind(int port) {
        return new JsonHttpServer(
                "dashboard", new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 4, 64);
    }

    public int port() {
        return server.port();
    }

    public String url() {
        return "http://localhost:" + port() + "/";
    }

    /**
     * The services' consumer lag as their own metrics report it (null when a scrape fails): what
     * ingest-stream has not read of its inputs, what retrieval-server has not read of requests.
     */
    private void lag(ObjectNode out, String name, String baseUrl, String metric, String labels) {
        try {
            HttpResponse<String> r =
                    http.send(
                            HttpRequest.newBuilder(URI.create(baseUrl + "/metrics"))
                                    .timeout(Duration.ofSeconds(5))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            var value =
                    r.statusCode() == 200
                            ? PrometheusText.max(r.body(), metric, labels)
                            : java.util.OptionalDouble.empty();
            if (value.isPresent()) {
                out.put(name, (long) value.getAsDouble());
            } else {
                out.putNull(name);
            }
        } catch (IOException e) {
            out.putNull(name);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            out.putNull(name);
        }
    }

    private ObjectNode summary() {
        ObjectNode out = JSON.createObjectNode();
        out.put("now", System.currentTimeMillis());
        ObjectNode demo = out.putObject("demo");
        demo.put("phase", status.phase);
        demo.put("done", status.done);
        demo.put("total", status.total);
        demo.put("bundleVersion", status.bundleVersion);
        demo.put("executionProvider", status.executionProvider);
        demo.put("freshItem", status.freshItem);
        ObjectNode counts = out.putObject("counts");
        view.counts().forEach(counts::put);
        ObjectNode rates = out.putObject("rates");
        view.rates().forEach(rates::put);
        ObjectNode lag = out.putObject("lag");
        lag(
                lag,
                "ingest",
                ingestUrl,
                "kafka_consumer_fetch_manager_records_lag_max",
                "StreamThread");
        lag(lag, "requests", retrievalUrl, "sidstream_retrieval_requests_lag", "");
        out.put("liveItems", view.liveItems());
        out.put("diversity", view.diversity());
        out.put("usersWithRecommendations", view.recommendationUsers());
        ObjectNode freshness = out.putObject("freshness");
        ArrayNode bounds = freshness.putArray("bucketsMs");
        for (long b : Samples.BUCKETS_MS) {
            bounds.add(b);
        }
        freshness.set("listedToSid", samples(view.listedToSid()));
        freshness.set("interactionToRecommendation", samples(view.interactionToRecommendation()));
        long[] cold = view.coldStartCounts();
        ObjectNode coldStart = out.putObject("coldStart");
        coldStart.put("listed", cold[0]);
        coldStart.put("recommended", cold[1]);
        ArrayNode dead = out.putArray("deadLetters");
        for (DeadLetter d : view.recentDeadLetters()) {
            ObjectNode n = dead.addObject();
            n.put("sourceTopic", d.getSourceTopic());
            n.put(
                    "key",
                    d.getKey() == null
                            ? null
                            : StandardCharsets.UTF_8.decode(d.getKey().duplicate()).toString());
            n.put("reason", d.getReason());
            n.put("errorClass", d.getErrorClass());
        }
        return out;
    }

    private static ObjectNode samples(Samples.Summary s) {
        ObjectNode n = JSON.createObjectNode();
        n.put("count", s.count());
        n.put("p50", s.p50());
        n.put("p90", s.p90());
        n.put("p99", s.p99());
        n.put("max", s.max());
        ArrayNode buckets = n.putArray("buckets");
        for (long b : s.buckets()) {
            buckets.add(b);
        }
        return n;
    }

    private ObjectNode codebook() {
        ObjectNode out = JSON.createObjectNode();
        out.put("levels", view.levels());
        out.put("codebookSize", view.codebookSize());
        out.put("liveItems", view.liveItems());
        out.put("diversity", view.diversity());
        ArrayNode usage = out.putArray("usage");
        ArrayNode used = out.putArray("usedFraction");
        for (long[] level : view.codeUsage()) {
            ArrayNode row = usage.addArray();
            int nonZero = 0;
            for (long c : level) {
                row.add(c);
                nonZero += c > 0 ? 1 : 0;
            }
            used.add((double) nonZero / level.length);
        }
        return out;
    }

    private ObjectNode tree(Map<String, String> query) {
        int[] prefix = codes(query.getOrDefault("prefix", ""));
        ObjectNode out = JSON.createObjectNode();
        ArrayNode p = out.putArray("prefix");
        for (int c : prefix) {
            p.add(c);
        }
        ArrayNode children = out.putArray("children");
        if (prefix.length < view.levels()) {
            view.children(prefix)
                    .forEach(
                            (code, items) -> {
                                ObjectNode n = children.addObject();
                                n.put("code", code);
                                n.put("items", items);
                            });
        }
        ArrayNode items = out.putArray("items");
        for (Map.Entry<String, int[]> e : view.itemsUnder(prefix, 50)) {
            items.add(item(e.getKey(), e.getValue()));
        }
        return out;
    }

    private ArrayNode users() {
        ArrayNode out = JSON.createArrayNode();
        for (Map.Entry<String, Integer> e : view.topUsers(25)) {
            ObjectNode n = out.addObject();
            n.put("userId", e.getKey());
            n.put("interactions", e.getValue());
            n.put("hasRecommendations", view.latestRecommendations(e.getKey()) != null);
        }
        return out;
    }

    private ArrayNode coldStart() {
        ArrayNode out = JSON.createArrayNode();
        for (LiveView.ColdStartItem c : view.coldStartItems(50)) {
            ObjectNode n = out.addObject();
            n.put("itemId", c.itemId());
            n.put("title", c.title());
            n.put("listedAt", c.listedAt());
            n.put("hasSid", c.hasSid());
            if (c.firstRecommendedAt() == null) {
                n.putNull("firstRecommendedAt");
            } else {
                n.put("firstRecommendedAt", c.firstRecommendedAt());
            }
        }
        return out;
    }

    /** {@code /api/users/{id}}: stored history, a fresh steered request, the latest published. */
    private void user(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        String userId =
                URLDecoder.decode(path.substring("/api/users/".length()), StandardCharsets.UTF_8);
        if (userId.isBlank()) {
            HttpResponses.respond(ex, 404, "text/plain", "no user id");
            return;
        }
        Map<String, String> query = query(ex);
        ObjectNode out = JSON.createObjectNode();
        try {
            prefixes(query.get("include"));
            prefixes(query.get("exclude"));
        } catch (IllegalArgumentException e) {
            json(
                    ex,
                    () -> {
                        throw e;
                    });
            return;
        }
        out.put("userId", userId);
        out.put("interactions", view.interactionsOf(userId));
        ArrayNode history = out.putArray("history");
        try {
            HttpResponse<String> stored =
                    http.send(
                            HttpRequest.newBuilder(
                                            URI.create(
                                                    ingestUrl
                                                            + "/users/"
                                                            + encode(userId)
                                                            + "/history"))
                                    .timeout(Duration.ofSeconds(10))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            if (stored.statusCode() == 200) {
                for (JsonNode e : JSON.readTree(stored.body()).path("entries")) {
                    ObjectNode n = item(e.path("itemId").asText(), null);
                    n.set("sid", e.path("sid"));
                    n.put("eventTime", e.path("eventTime").asLong());
                    history.add(n);
                }
            }
            RetrievalClient.Query request =
                    RetrievalClient.Query.forUser(userId, intParam(query, "k", 10, 1, 100))
                            .withBeamWidth(intParam(query, "beam", 64, 1, 1024))
                            .steered(
                                    prefixList(query.get("include")),
                                    prefixList(query.get("exclude")))
                            .towardText(query.get("text"), decimalParam(query, "weight"));
            long t0 = System.nanoTime();
            RetrievalClient.Answer live = retrieval.recommend(request);
            ObjectNode recommendations = out.putObject("recommendations");
            recommendations.put("latencyMs", (System.nanoTime() - t0) / 1_000_000);
            JsonNode body = live.body();
            if (!live.ok()) {
                recommendations.put("error", live.error());
            } else {
                recommendations.put("exhausted", body.path("exhausted").asBoolean());
                recommendations.put("indexVersion", body.path("indexVersion").asLong());
                recommendations.put("modelVersion", body.path("modelVersion").asText());
                if (body.has("query")) {
                    recommendations.set("query", body.path("query"));
                }
                ArrayNode candidates = recommendations.putArray("candidates");
                for (JsonNode c : body.path("candidates")) {
                    ObjectNode n = item(c.path("itemId").asText(), null);
                    n.set("sid", c.path("sid"));
                    n.put("score", c.path("score").asDouble());
                    candidates.add(n);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            out.put("error", "interrupted");
        } catch (IOException | IllegalArgumentException e) {
            out.put("error", e.getMessage());
        }
        Recommendations published = view.latestRecommendations(userId);
        if (published != null) {
            ObjectNode p = out.putObject("published");
            p.put("requestId", published.getRequestId());
            p.put("completedAt", published.getCompletedAt().toEpochMilli());
            ArrayNode candidates = p.putArray("candidates");
            for (Candidate c : published.getCandidates()) {
                ObjectNode n = item(c.getItemId(), null);
                ArrayNode sid = n.putArray("sid");
                c.getSid().forEach(sid::add);
                n.put("score", c.getScore());
                candidates.add(n);
            }
        }
        json(ex, () -> out);
    }

    private ObjectNode item(String itemId, int[] sid) {
        ObjectNode n = JSON.createObjectNode();
        n.put("itemId", itemId);
        String title = view.title(itemId);
        if (title == null) {
            n.putNull("title");
        } else {
            n.put("title", title);
        }
        if (sid != null) {
            ArrayNode s = n.putArray("sid");
            for (int c : sid) {
                s.add(c);
            }
        }
        return n;
    }

    private static List<List<Integer>> prefixList(String spec) {
        List<List<Integer>> out = new ArrayList<>();
        for (JsonNode p : prefixes(spec)) {
            List<Integer> codes = new ArrayList<>();
            p.forEach(c -> codes.add(c.asInt()));
            out.add(codes);
        }
        return out;
    }

    private static ArrayNode prefixes(String spec) {
        ArrayNode out = JSON.createArrayNode();
        if (spec == null || spec.isBlank()) {
            return out;
        }
        for (String prefix : spec.split(";")) {
            if (!prefix.isBlank()) {
                ArrayNode p = out.addArray();
                for (int c : codes(prefix)) {
                    p.add(c);
                }
            }
        }
        return out;
    }

    private static int[] codes(String csv) {
        if (csv.isBlank()) {
            return new int[0];
        }
        String[] parts = csv.trim().split("[,\\s]+");
        int[] codes = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                codes[i] = Integer.parseInt(parts[i]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + csv + "' is not a list of integer codes");
            }
        }
        return codes;
    }

    /** A number in [0, 100] from the query string, or null when absent. */
    private static Double decimalParam(Map<String, String> query, String name) {
        String v = query.get(name);
        if (v == null || v.isBlank()) {
            return null;
        }
        try {
            double d = Double.parseDouble(v.trim());
            if (!(d >= 0 && d <= 100)) {
                throw new IllegalArgumentException(name + " must be in [0, 100]");
            }
            return d;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a number, got " + v);
        }
    }

    private static int intParam(
            Map<String, String> query, String name, int dflt, int min, int max) {
        String v = query.get(name);
        if (v == null || v.isBlank()) {
            return dflt;
        }
        try {
            return Math.max(min, Math.min(max, Integer.parseInt(v.trim())));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + "=" + v + " is not an integer");
        }
    }

    private static Map<String, String> query(HttpExchange ex) {
        Map<String, String> out = new HashMap<>();
        String raw = ex.getRequestURI().getRawQuery();
        if (raw == null) {
            return out;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                out.put(
                        URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    private static String encode(String s) {
        return java.net.URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** Answers with the body, or 400 with the message when a parameter is bad. */
    private static void json(HttpExchange ex, Supplier<JsonNode> body) throws IOException {
        JsonNode value;
        try {
            value = body.get();
        } catch (IllegalArgumentException e) {
            HttpResponses.respond(
                    ex,
                    400,
                    "application/json",
                    JSON.createObjectNode().put("error", e.getMessage()).toString());
            return;
        }
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        HttpResponses.respond(ex, 200, "application/json", JSON.writeValueAsString(value));
    }

    private static void resource(HttpExchange ex, String name, String type) throws IOException {
        try (InputStream in = DashboardServer.class.getResourceAsStream(name)) {
            if (in == null) {
                HttpResponses.respond(ex, 500, "text/plain", name + " missing from the jar");
                return;
            }
            HttpResponses.respond(
                    ex,
                    200,
                    type + "; charset=utf-8",
                    new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    @Override
    public void close() {
        server.close();
    }
}
