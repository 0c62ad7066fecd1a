package io.sidstream.platform.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one small HTTP server every sidstream process uses (JDK {@code HttpServer}): exact routes,
 * JSON replies, and two kinds of handler on separate threads.
 *
 * <ul>
 *   <li>{@link #probe} handlers (health, metrics: quick and non-blocking) run on the server's own
 *       dispatch threads, so a backlog of slow requests never fails a liveness probe;
 *   <li>{@link #route} handlers (the API) run on a bounded worker pool; when its queue is full the
 *       request is refused at once with 503 and {@code Retry-After}, never queued without bound.
 * </ul>
 */
public final class JsonHttpServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(JsonHttpServer.class);

    /** The project's JSON mapper for request and response bodies. */
    public static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final ExecutorService dispatch;
    private final ThreadPoolExecutor workers;
    private volatile BearerTokens tokens = BearerTokens.NONE;
    // Operator actions (loading a model: seconds) wait here, never taking an API worker.
    private final ThreadPoolExecutor admin =
            new ThreadPoolExecutor(
                    1,
                    1,
                    0,
                    TimeUnit.MILLISECONDS,
                    new ArrayBlockingQueue<>(4),
                    threads("admin"),
                    new ThreadPoolExecutor.AbortPolicy());

    /**
     * @param name thread-name prefix
     * @param address where to listen (host and port; port 0 picks a free one)
     * @param workerThreads threads for {@link #route} handlers
     * @param queueCapacity requests that may wait for a worker before new ones are refused
     */
    public JsonHttpServer(
            String name, InetSocketAddress address, int workerThreads, int queueCapacity) {
        try {
            server = HttpServer.create(address, 0);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + address, e);
        }
        dispatch = Executors.newFixedThreadPool(2, threads(name + "-http"));
        server.setExecutor(dispatch);
        workers =
                new ThreadPoolExecutor(
                        workerThreads,
                        workerThreads,
                        0,
                        TimeUnit.MILLISECONDS,
                        queueCapacity <= 0
                                ? new java.util.concurrent.SynchronousQueue<>()
                                : new ArrayBlockingQueue<>(queueCapacity),
                        threads(name + "-worker"),
                        new ThreadPoolExecutor.AbortPolicy());
    }

    /** Listens on every interface at {@code port}. */
    public JsonHttpServer(String name, int port, int workerThreads, int queueCapacity) {
        this(name, new InetSocketAddress(port), workerThreads, queueCapacity);
    }

    /** Listens on {@code host} (an address or name; blank for every interface) at {@code port}. */
    public JsonHttpServer(
            String name, String host, int port, int workerThreads, int queueCapacity) {
        this(
                name,
                host == null || host.isBlank()
                        ? new InetSocketAddress(port)
                        : new InetSocketAddress(host, port),
                workerThreads,
                queueCapacity);
    }

    /**
     * Requires a bearer token on every {@link #route} (the API); probes and metrics stay open, so
     * Kubernetes and Prometheus need no secret.
     */
    public JsonHttpServer requireTokens(BearerTokens tokens) {
        this.tokens = tokens;
        return this;
    }

    /** A quick, non-blocking handler for exactly {@code path}, on the dispatch threads. */
    public void probe(String path, HttpHandler handler) {
        HttpResponses.exact(server, path, handler);
    }

    /** An API handler for exactly {@code path}, on the bounded worker pool. */
    public void route(String path, HttpHandler handler) {
        HttpResponses.exact(server, path, offloaded(handler));
    }

    /** An API handler for every path under {@code prefix} (which ends in '/'). */
    public void routeUnder(String prefix, HttpHandler handler) {
        if (!prefix.endsWith("/")) {
            throw new IllegalArgumentException("a route prefix ends in '/': " + prefix);
        }
        server.createContext(prefix, offloaded(handler));
    }

    /**
     * An operator handler for exactly {@code path}, on a thread of its own: with {@code
     * adminTokens} enabled it needs one of them; without, it answers only requests from a loopback
     * address (kubectl exec or port-forward, local mode) and refuses the rest with 403.
     */
    public void adminRoute(String path, BearerTokens adminTokens, HttpHandler handler) {
        HttpResponses.exact(
                server,
                path,
                ex -> {
                    if (adminTokens.enabled()) {
                        if (!authorized(
                                ex, adminTokens, "a valid admin bearer token is required")) {
                            return;
                        }
                    } else if (ex.getRemoteAddress().getAddress() == null
                            || !ex.getRemoteAddress().getAddress().isLoopbackAddress()) {
                        error(
                                ex,
                                403,
                                "admin requests come from loopback unless an admin token file is"
                                        + " configured");
                        return;
                    }
                    try {
                        admin.execute(() -> handle(handler, ex));
                    } catch (RejectedExecutionException e) {
                        ex.getResponseHeaders().set("Retry-After", "5");
                        error(ex, 503, "an admin action is in progress, retry later");
                    }
                });
    }

    /** Whether the request carries one of {@code tokens}; if not, it is answered with 401. */
    private static boolean authorized(HttpExchange ex, BearerTokens tokens, String refusal)
            throws IOException {
        if (tokens.accepts(ex.getRequestHeaders().getFirst("Authorization"))) {
            return true;
        }
        ex.getResponseHeaders().set("WWW-Authenticate", "Bearer");
        error(ex, 401, refusal);
        return false;
    }

    private HttpHandler offloaded(HttpHandler handler) {
        return ex -> {
            if (!authorized(ex, tokens, "a valid bearer token is required")) {
                return;
            }
            try {
                workers.execute(() -> handle(handler, ex));
            } catch (RejectedExecutionException e) {
                ex.getResponseHeaders().set("Retry-After", "1");
                error(ex, 503, "server busy: too many requests in flight, retry later");
            }
        };
    }

    private static void handle(HttpHandler handler, HttpExchange ex) {
        try {
            handler.handle(ex);
        } catch (IOException e) {
            LOG.debug("client went away uri={} reason={}", ex.getRequestURI(), e.toString());
        } catch (RuntimeException e) {
            LOG.error("handler failed uri={}", ex.getRequestURI(), e);
            try {
                error(ex, 500, "internal error");
            } catch (IOException | RuntimeException ignored) {
                // The response may already have started; the client sees a broken reply.
            }
        } finally {
            ex.close();
        }
    }

    /** Requests waiting for a worker now. */
    public int queued() {
        return workers.getQueue().size();
    }

    /** Requests being handled now. */
    public int active() {
        return workers.getActiveCount();
    }

    /** A complete response with a body. */
    public static void respond(HttpExchange ex, int status, String type, String body)
            throws IOException {
        HttpResponses.respond(ex, status, type, body);
    }

    /** A JSON response: {@code value} serialised by {@link #JSON}. */
    public static void json(HttpExchange ex, int status, Object value) throws IOException {
        HttpResponses.respond(ex, status, "application/json", JSON.writeValueAsString(value));
    }

    /** A JSON error response {@code {"error": message}}. */
    public static void error(HttpExchange ex, int status, String message) throws IOException {
        json(ex, status, JSON.createObjectNode().put("error", message));
    }

    public void start() {
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        workers.shutdownNow();
        admin.shutdownNow();
        dispatch.shutdownNow();
    }

    private static java.util.concurrent.ThreadFactory threads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
