package io.sidstream.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code sidstream eval} on a slice of users: every method measured, overall and cold-start. */
class EvalCommandTest {
    @Test
    void shouldReportTheDecoderThePriorAndEveryBaselineOnTheSameCases() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        int status =
                SidstreamMain.run(
                        new String[] {
                            "eval",
                            "--users",
                            "96",
                            "--bundle",
                            "../models/default",
                            "--data-dir",
                            "../data/movietweetings-100k"
                        },
                        out,
                        out);
        assertThat(status).isZero();
        String last =
                bytes.toString(StandardCharsets.UTF_8)
                        .lines()
                        .filter(l -> l.startsWith("{\"eval\""))
                        .reduce((a, b) -> b)
                        .orElseThrow();
        JsonNode result = new ObjectMapper().readTree(last);
        assertThat(result.path("request_time").asText()).contains("before");
        JsonNode methods = result.path("methods");
        for (String name :
                new String[] {
                    "decoder+prior",
                    "decoder+prior, 10% fresh slots",
                    "decoder",
                    "prior alone",
                    "popularity (all time)",
                    "popularity (1 day before)",
                    "popularity (7 days before)",
                    "item-kNN (last 3 items)"
                }) {
            assertThat(methods.path(name).path("all").path("cases").asInt()).as(name).isEqualTo(96);
            assertThat(methods.path(name).has("cold_start")).as(name).isTrue();
        }
    }
}
