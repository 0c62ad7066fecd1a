package io.sidstream.app;

import io.sidstream.testkit.kafka.KafkaCluster;
import io.sidstream.testkit.kafka.KafkaClusterExtension;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

@Tag("integration")
@Timeout(180)
@ExtendWith(KafkaClusterExtension.class)
class SmokeDemoIT {

    @Test
    void shouldReplayTheDemoDataIntoTheCataloguedTopics(KafkaCluster cluster) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit =
                SidstreamMain.run(
                        new String[] {
                            "demo",
                            "--data-dir",
                            "../data/movietweetings-100k",
                            "--bootstrap-servers",
                            cluster.bootstrapServers(),
                            "--limit",
                            "2000"
                        },
                        new PrintStream(out, true, StandardCharsets.UTF_8),
                        new PrintStream(err, true, StandardCharsets.UTF_8));
        String stdout = out.toString(StandardCharsets.UTF_8);
        assertThat(exit).as("stdout: %s%nstderr: %s", stdout, err).isZero();
        assertThat(stdout)
                .contains("items on items.raw.v1=")
                .contains("interactions on users.events.v1=");
    }

    @Test
    void shouldReportAllUsageProblemsAtOnce() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit =
                SidstreamMain.run(
                        new String[] {
                            "demo", "--limit", "x", "--bogus", "--data-dir", "/nonexistent"
                        },
                        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                        new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(exit).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8))
                .contains("--limit needs a non-negative integer")
                .contains("unknown option --bogus")
                .contains("is not a directory");
    }
}
