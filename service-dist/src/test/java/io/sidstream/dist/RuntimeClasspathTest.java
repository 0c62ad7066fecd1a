package io.sidstream.dist;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The service images copy exactly this module's run-time classpath: it must hold both services and
 * no broker, test framework or tool of the all-in-one mode.
 */
class RuntimeClasspathTest {
    /** {@code artifactId-} of every run-time dependency, from {@code dependency:list}. */
    private static List<String> jars() throws IOException {
        List<String> jars =
                Files.readAllLines(Path.of("target", "runtime-dependencies.txt")).stream()
                        .map(String::trim)
                        .filter(line -> line.split(":").length >= 5)
                        .map(line -> line.split(":")[1] + "-")
                        .toList();
        assertThat(jars).as("dependency list").hasSizeGreaterThan(10);
        return jars;
    }

    @Test
    void containsBothServicesAndTheirRuntime() throws IOException {
        assertThat(jars())
                .anyMatch(j -> j.startsWith("ingest-stream-"))
                .anyMatch(j -> j.startsWith("retrieval-server-"))
                .anyMatch(j -> j.startsWith("kafka-streams-"))
                .anyMatch(j -> j.startsWith("onnxruntime"))
                .anyMatch(j -> j.startsWith("log4j-slf4j2-impl-"));
    }

    @Test
    void containsNoBrokerTestFrameworkOrTool() throws IOException {
        assertThat(jars())
                .noneMatch(j -> j.startsWith("kafka_2.13"))
                .noneMatch(j -> j.startsWith("kafka-test-common"))
                .noneMatch(j -> j.startsWith("junit"))
                .noneMatch(j -> j.startsWith("testcontainers"))
                .noneMatch(j -> j.startsWith("assertj"))
                .noneMatch(j -> j.startsWith("kafka-testkit"))
                .noneMatch(j -> j.startsWith("local-kafka"))
                .noneMatch(j -> j.startsWith("sidstream-app"))
                .noneMatch(j -> j.startsWith("deploy-"))
                .noneMatch(j -> j.startsWith("scala-library"));
    }
}
