package io.sidstream.app;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class ProgressBarTest {
    @Test
    void shouldWriteOneLinePerStageToALogAndRedrawOnlyOnATerminal() throws Exception {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(log, true, StandardCharsets.UTF_8);
        ProgressBar bar = new ProgressBar(out, "assign SIDs", 1000);
        for (int i = 0; i < 1000; i++) {
            bar.step();
            if (i % 100 == 0) {
                Thread.sleep(1);
            }
        }
        bar.done();
        String written = log.toString(StandardCharsets.UTF_8);
        assertThat(written).doesNotContain("\r");
        assertThat(written.lines()).hasSize(1).first().asString().contains("1000/1000");

        ByteArrayOutputStream screen = new ByteArrayOutputStream();
        ProgressBar live =
                new ProgressBar(
                        new PrintStream(screen, true, StandardCharsets.UTF_8),
                        "assign SIDs",
                        10,
                        true);
        live.step();
        live.done();
        assertThat(screen.toString(StandardCharsets.UTF_8)).startsWith("\r").endsWith("\n");
    }

    @Test
    void shouldGrowItsTotalWithTheWorkButNeverShrinkIt() {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        ProgressBar bar =
                new ProgressBar(new PrintStream(log, true, StandardCharsets.UTF_8), "recommend", 5);
        bar.advance(5);
        bar.total(12);
        bar.total(3);
        bar.advance(7);
        bar.done();
        assertThat(log.toString(StandardCharsets.UTF_8)).contains("12/12").doesNotContain("/5");
    }
}
