package io.sidstream.platform.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** Writes a complete response on a JDK HttpServer exchange. */
public final class HttpResponses {
    private HttpResponses() {}

    /**
     * Registers {@code handler} for exactly {@code path}: the JDK server matches contexts by
     * prefix, so "/healthz" would otherwise reach "/health" and a misspelt probe would pass.
     */
    public static void exact(HttpServer server, String path, HttpHandler handler) {
        server.createContext(
                path,
                ex -> {
                    if (ex.getRequestURI().getPath().equals(path)) {
                        handler.handle(ex);
                    } else {
                        respond(ex, 404, "text/plain", "no such endpoint: " + ex.getRequestURI());
                    }
                });
    }

    public static void respond(HttpExchange ex, int status, String type, String body)
            throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, bytes.length);
        try (var out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }
}
