package io.sidstream.app;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code sidstream ingest|retrieval FILE} read the services' settings from the file and start
 * nothing when one is invalid (exit 2), as the images' main classes do.
 */
class StandaloneServiceCommandTest {
    @Test
    void ingestReadsItsPropertiesFileAndRefusesAnInvalidOne(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("ingest.properties");
        Files.writeString(
                file,
                "SIDSTREAM_STREAM_THREADS=0\nSIDSTREAM_WIRE_FORMAT=registry\n"
                        + "SIDSTREAM_BOOTSTRAP_SERVERS=127.0.0.1:1\n");
        assertThat(run("ingest", file.toString())).isEqualTo(2);
    }

    @Test
    void retrievalReadsItsPropertiesFileAndRefusesAnInvalidOne(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("retrieval.properties");
        Files.writeString(file, "SIDSTREAM_DEFAULT_BEAM=999\nSIDSTREAM_MAX_BEAM=10\n");
        assertThat(run("retrieval", file.toString())).isEqualTo(2);
    }

    @Test
    void aMissingPropertiesFileIsAConfigurationError(@TempDir Path dir) {
        assertThat(run("ingest", dir.resolve("nope.properties").toString())).isEqualTo(2);
    }

    private static int run(String... args) {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(sink, true, StandardCharsets.UTF_8);
        return SidstreamMain.run(args, out, out);
    }
}
