package io.sidstream.platform.http;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class JsonHttpServerTest {
    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    private static HttpResponse<String> get(int port, String path, String token) throws Exception {
        HttpRequest.Builder b =
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void shouldRequireATokenOnTheApiButNotOnProbes(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("tokens"), "# ops\nsecret-one\n\nsecret-two\n");
        try (JsonHttpServer server = new JsonHttpServer("t", "127.0.0.1", 0, 1, 4)) {
            server.requireTokens(BearerTokens.fromFile(file.toString()));
            server.probe("/health/live", ex -> JsonHttpServer.respond(ex, 200, "text/plain", "UP"));
            server.route("/api", ex -> JsonHttpServer.json(ex, 200, java.util.Map.of("ok", true)));
            server.start();
            assertThat(get(server.port(), "/health/live", null).statusCode()).isEqualTo(200);
            HttpResponse<String> anonymous = get(server.port(), "/api", null);
            assertThat(anonymous.statusCode()).isEqualTo(401);
            assertThat(anonymous.headers().firstValue("WWW-Authenticate")).contains("Bearer");
            assertThat(get(server.port(), "/api", "wrong").statusCode()).isEqualTo(401);
            assertThat(get(server.port(), "/api", "secret-two").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void shouldRefuseAtOnceWhenTheWorkersAreBusyWhileProbesStillAnswer() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (JsonHttpServer server = new JsonHttpServer("t", "127.0.0.1", 0, 1, 1)) {
            server.probe("/health/live", ex -> JsonHttpServer.respond(ex, 200, "text/plain", "UP"));
            server.route(
                    "/slow",
                    ex -> {
                        try {
                            release.await(10, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        JsonHttpServer.respond(ex, 200, "text/plain", "done");
                    });
            server.start();
            var first =
                    CLIENT.sendAsync(
                            HttpRequest.newBuilder(
                                            URI.create(
                                                    "http://127.0.0.1:" + server.port() + "/slow"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            var second =
                    CLIENT.sendAsync(
                            HttpRequest.newBuilder(
                                            URI.create(
                                                    "http://127.0.0.1:" + server.port() + "/slow"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (server.queued() + server.active() < 2 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            HttpResponse<String> third = get(server.port(), "/slow", null);
            assertThat(third.statusCode()).isEqualTo(503);
            assertThat(third.headers().firstValue("Retry-After")).isPresent();
            assertThat(get(server.port(), "/health/live", null).statusCode()).isEqualTo(200);
            release.countDown();
            assertThat(first.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            assertThat(second.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        }
    }
}
