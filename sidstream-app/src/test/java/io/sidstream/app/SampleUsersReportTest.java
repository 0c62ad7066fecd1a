package io.sidstream.app;

import com.sun.net.httpserver.HttpServer;
import io.sidstream.datasets.Interaction;
import io.sidstream.retrieval.http.RetrievalClient;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** The demo's closing report against a retrieval API that is busy at first, then answers. */
class SampleUsersReportTest {

    @Test
    void shouldAskAgainWhileTheServerIsBusyAndSayWhyWhenItNeverAnswers() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        int refusedFirst = 2;
        String candidates =
                "{\"candidates\":[{\"itemId\":\"i1\",\"sid\":[1,2,3,0],\"score\":-1.0},"
                        + "{\"itemId\":\"i2\",\"sid\":[1,2,4,0],\"score\":-2.0}]}";
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext(
                "/recommendations",
                exchange -> {
                    exchange.getRequestBody().readAllBytes();
                    int call = calls.incrementAndGet();
                    boolean byId = call > refusedFirst + 1;
                    // Busy twice, then the list by history; by id the user is never known.
                    int status = call <= refusedFirst ? 429 : byId ? 404 : 200;
                    byte[] body =
                            (status == 200 ? candidates : "{\"error\":\"status " + status + "\"}")
                                    .getBytes(StandardCharsets.UTF_8);
                    exchange.sendResponseHeaders(status, body.length);
                    try (OutputStream o = exchange.getResponseBody()) {
                        o.write(body);
                    }
                });
        server.start();
        try {
            List<Interaction> interactions = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                interactions.add(new Interaction("u1", "h" + i, "rating", 8, 1_000L * i));
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            new SampleUsersReport(
                            new RetrievalClient(
                                    "http://127.0.0.1:" + server.getAddress().getPort()),
                            Map.of("i1", "First", "i2", "Second"),
                            new PrintStream(out, true, StandardCharsets.UTF_8))
                    .print(interactions, 1);
            String report = out.toString(StandardCharsets.UTF_8);
            assertThat(report).contains(" 1. First", " 2. Second");
            assertThat(report).contains("(no answer, HTTP 404: status 404)");
        } finally {
            server.stop(0);
        }
    }
}
