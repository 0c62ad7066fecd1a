package io.sidstream.deploy;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sidstream.ingest.http.IngestHttpServer;
import io.sidstream.retrieval.http.RetrievalHttpServer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.util.Properties;

/**
 * Asks the apps' real HTTP servers whether they serve a path: the probe paths in the manifests must
 * not 404. The servers run without Kafka (a Streams instance that is created but never started, a
 * retrieval index that is not ready), which is what a probe sees at start-up.
 */
final class ProbeEndpoints {
    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    private ProbeEndpoints() {}

    static boolean ingestServes(String path) throws IOException, InterruptedException {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "probe-check");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:1");
        props.put(
                StreamsConfig.STATE_DIR_CONFIG,
                Files.createTempDirectory("probe-check").toString());
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream("probe-check-input");
        try (KafkaStreams streams = new KafkaStreams(builder.build(), props)) {
            IngestHttpServer server =
                    new IngestHttpServer(
                            0,
                            () -> streams,
                            new PrometheusMeterRegistry(PrometheusConfig.DEFAULT),
                            "localhost");
            server.start();
            try {
                return status(server.port(), path) != 404;
            } finally {
                server.close();
            }
        }
    }

    static boolean retrievalServes(String path) throws IOException, InterruptedException {
        RetrievalHttpServer server =
                new RetrievalHttpServer(
                        0,
                        null,
                        null,
                        null,
                        "probe-check",
                        () -> false,
                        () -> "",
                        null,
                        null,
                        1 << 20,
                        java.time.Duration.ofSeconds(1),
                        () -> true);
        server.start();
        try {
            return status(server.port(), path) != 404;
        } finally {
            server.close();
        }
    }

    private static int status(int port, String path) throws IOException, InterruptedException {
        HttpRequest get =
                HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).build();
        return CLIENT.send(get, HttpResponse.BodyHandlers.discarding()).statusCode();
    }
}
