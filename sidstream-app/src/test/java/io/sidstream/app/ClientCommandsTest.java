package io.sidstream.app;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The scripting commands' behaviour that needs no broker. */
class ClientCommandsTest {
    @Test
    void produceReportsEveryBadLineAndProducesNothing(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("items.jsonl");
        Files.writeString(
                file,
                "{\"itemId\":\"1\",\"title\":\"Fine\"}\n"
                        + "{\"itemId\":\"2\"}\n"
                        + "\n"
                        + "not json\n"
                        + "{\"itemId\":\"3\",\"title\":\"Also fine\"}\n");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        // No address given and no demo there: a bad file is refused before any lookup.
        int status =
                SidstreamMain.run(
                        new String[] {
                            "produce", "items", file.toString(), "--work-dir", dir.toString()
                        },
                        out,
                        out);
        String printed = bytes.toString(StandardCharsets.UTF_8);
        assertThat(status).as(printed).isEqualTo(1);
        assertThat(printed)
                .contains(file + ":2: itemId and title are required")
                .contains(file + ":4: invalid JSON")
                .contains("2 bad line(s)")
                .contains("nothing was produced")
                .doesNotContain("Exception");
    }
}
