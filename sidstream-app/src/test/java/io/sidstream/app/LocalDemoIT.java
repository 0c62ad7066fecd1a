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
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

@Tag("integration")
@Timeout(300)
@ExtendWith(KafkaClusterExtension.class)
class LocalDemoIT {

    @Test
    void shouldAssignSidsAndRecommendLiveItemsEndToEnd(KafkaCluster cluster) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit =
                SidstreamMain.run(
                        new String[] {
                            "demo",
                            "--data-dir",
                            "../data/movietweetings-100k",
                            "--bundle",
                            "../models/default",
                            "--bootstrap-servers",
                            cluster.bootstrapServers(),
                            "--items",
                            "1500",
                            "--limit",
                            "5000",
                            "--no-serve"
                        },
                        new PrintStream(out, true, StandardCharsets.UTF_8),
                        new PrintStream(err, true, StandardCharsets.UTF_8));
        String stdout = out.toString(StandardCharsets.UTF_8);
        assertThat(exit).as("stdout: %s%nstderr: %s", stdout, err).isZero();
        assertThat(stdout)
                .contains("summary: items listed=1500, items with a SID in the live index=1500")
                .contains("sample users=3");
        // 3 users x 10 recommendations from the histories sent, plus 10 for the first user from
        // the history ingest-stream stored, each printed with its catalog title: an id that maps
        // to no listed item would print as a raw 7-digit id instead.
        List<String> ranked =
                stdout.lines().filter(l -> l.matches("\\s+\\d+\\. .*score.*")).toList();
        assertThat(stdout).contains("by id only (stored history from ingest-stream)");
        assertThat(ranked).hasSize(40).noneMatch(l -> l.matches("\\s+\\d+\\. \\d{7} .*"));
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
