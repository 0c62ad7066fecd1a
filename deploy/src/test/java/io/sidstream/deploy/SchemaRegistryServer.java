package io.sidstream.deploy;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A real schema registry for tests: Apicurio Registry's server distribution (unpacked from Maven
 * Central by this module's build), in-memory storage, run as a child process on a free port with a
 * Java 21+ runtime found under {@code /usr/lib/jvm}. Its Confluent-compatible API is at {@link
 * #url()}.
 */
final class SchemaRegistryServer implements AutoCloseable {
    private final Process process;
    private final URI url;
    private final Path log;

    private SchemaRegistryServer(Process process, URI url, Path log) {
        this.process = process;
        this.url = url;
        this.log = log;
    }

    /** Starts the registry, or aborts the test (skipped) when no distribution or Java 21+. */
    static SchemaRegistryServer start(Path workDir) throws IOException, InterruptedException {
        Path dist =
                Path.of(
                        System.getProperty(
                                "sidstream.test.schemaRegistryDir", "target/schema-registry"));
        Assumptions.assumeTrue(
                Files.isRegularFile(dist.resolve("quarkus-run.jar")),
                "no Apicurio Registry distribution at " + dist + " (unpacked by mvn verify)");
        Optional<Path> java = modernJava();
        Assumptions.assumeTrue(
                java.isPresent(), "the schema registry needs Java 21+; none under /usr/lib/jvm");
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Path log = workDir.resolve("schema-registry.log");
        Process process =
                new ProcessBuilder(
                                java.get().toString(),
                                "-Xmx512m",
                                "-Dquarkus.http.port=" + port,
                                "-Dquarkus.http.host=127.0.0.1",
                                "-Dquarkus.management.enabled=false",
                                "-jar",
                                "quarkus-run.jar")
                        .directory(dist.toFile())
                        .redirectErrorStream(true)
                        .redirectOutput(log.toFile())
                        .start();
        SchemaRegistryServer server =
                new SchemaRegistryServer(
                        process, URI.create("http://127.0.0.1:" + port + "/apis/ccompat/v7"), log);
        server.awaitReady(Duration.ofMinutes(3));
        return server;
    }

    /** The base of the Confluent-compatible REST API. */
    URI url() {
        return url;
    }

    /** GET on a path below {@link #url()}; the body. */
    String get(String path) throws IOException, InterruptedException {
        HttpResponse<String> r =
                HttpClient.newHttpClient()
                        .send(
                                HttpRequest.newBuilder(URI.create(url + "/" + path)).build(),
                                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException("GET " + path + ": HTTP " + r.statusCode() + " " + r.body());
        }
        return r.body();
    }

    private void awaitReady(Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException(
                        "schema registry exited with " + process.exitValue() + ":\n" + tail());
            }
            try {
                get("subjects");
                return;
            } catch (IOException notYet) {
                Thread.sleep(250);
            }
        }
        close();
        throw new IllegalStateException("schema registry not ready in " + timeout + ":\n" + tail());
    }

    private String tail() throws IOException {
        List<String> lines = Files.readAllLines(log);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    }

    private static Optional<Path> modernJava() throws IOException {
        if (Runtime.version().feature() >= 21) {
            return Optional.of(Path.of(System.getProperty("java.home"), "bin", "java"));
        }
        Path jvms = Path.of("/usr/lib/jvm");
        if (!Files.isDirectory(jvms)) {
            return Optional.empty();
        }
        try (Stream<Path> dirs = Files.list(jvms)) {
            return dirs.filter(d -> Files.isExecutable(d.resolve("bin/java")))
                    .filter(d -> featureOf(d) >= 21)
                    .max(Comparator.comparingInt(SchemaRegistryServer::featureOf))
                    .map(d -> d.resolve("bin/java"));
        }
    }

    /** The Java feature version a JDK directory declares in its release file, or 0. */
    private static int featureOf(Path jdk) {
        try {
            for (String line : Files.readAllLines(jdk.resolve("release"))) {
                if (line.startsWith("JAVA_VERSION=")) {
                    String v = line.substring("JAVA_VERSION=".length()).replace("\"", "");
                    return Integer.parseInt(v.split("[.+-]")[0]);
                }
            }
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
        return 0;
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }
}
