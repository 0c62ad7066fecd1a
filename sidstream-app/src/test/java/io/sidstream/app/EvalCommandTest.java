package io.sidstream.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sidstream.app.eval.EvalCase;
import io.sidstream.model.bundle.ModelBundle;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code sidstream eval} on a slice of users: every method measured, overall and cold-start. */
class EvalCommandTest {
    @Test
    void shouldReportTheDecoderThePriorAndEveryBaselineOnTheSameCases() throws Exception {
        String last = lastJson(eval("--users", "96", "--bundle", "../models/default"));
        JsonNode result = new ObjectMapper().readTree(last);
        assertThat(result.path("request_time").asText()).contains("before");
        JsonNode methods = result.path("methods");
        for (String name :
                new String[] {
                    "decoder+prior",
                    "decoder+prior, no young items",
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

    @Test
    void shouldServeAndEvaluateWithThePriorThatTuningSavedInTheBundle(@TempDir Path dir)
            throws Exception {
        Path bundle = copyOfDefaultBundle(dir);
        String version = ModelBundle.load(bundle).version();
        // A recorded trainer baseline travels from the manifest to the eval's table and JSON.
        ObjectMapper json = new ObjectMapper();
        ObjectNode manifest = (ObjectNode) json.readTree(bundle.resolve("manifest.json").toFile());
        ((ObjectNode) manifest.path("metrics"))
                .set(
                        "baselines",
                        json.readTree(
                                "{\"sasrec_ce\":{\"all\":{\"recall@10\":0.1234,\"ndcg@10\":0.05},"
                                        + "\"cold_start\":{\"recall@10\":0.0123},"
                                        + "\"runs\":[{},{}]}}"));
        json.writeValue(bundle.resolve("manifest.json").toFile(), manifest);

        String tuned =
                eval(
                        "--users",
                        "48",
                        "--bundle",
                        bundle.toString(),
                        "--tune",
                        "--tune-weights",
                        "3",
                        "--tune-half-lives-hours",
                        "36",
                        "--save");
        assertThat(tuned).contains("saved in");
        assertThat(ModelBundle.load(bundle).version()).isEqualTo(version);
        assertThat(ModelBundle.load(bundle).manifest().prior().chosenOn()).contains("validation");

        String plain = eval("--users", "48", "--bundle", bundle.toString());
        JsonNode result = json.readTree(lastJson(plain));
        assertThat(result.path("prior").path("weight").asDouble()).isEqualTo(3.0);
        assertThat(result.path("prior").path("half_life_hours").asInt()).isEqualTo(36);
        assertThat(result.path("trainer_baselines").path("sasrec_ce").path("all"))
                .isEqualTo(json.readTree("{\"recall@10\":0.1234,\"ndcg@10\":0.05}"));
        assertThat(plain.lines().filter(l -> l.startsWith("SASRec-CE (trainer), mean of 2")))
                .hasSize(2)
                .first()
                .asString()
                .contains("0.1234");
        // An explicit option still wins over the bundle's choice.
        String overridden =
                eval("--users", "48", "--bundle", bundle.toString(), "--prior-weight", "0.5");
        assertThat(json.readTree(lastJson(overridden)).path("prior").path("weight").asDouble())
                .isEqualTo(0.5);
    }

    @Test
    void shouldTuneARefitDecodersPriorWithTheDecoderOfItsSelectionRunAndNoOtherSidSpace(
            @TempDir Path dir) throws Exception {
        ObjectMapper json = new ObjectMapper();
        // A refit decoder has seen the validation targets; its selection run has not.
        Path refit = copyOfDefaultBundle(dir.resolve("refit"));
        ObjectNode manifest = (ObjectNode) json.readTree(refit.resolve("manifest.json").toFile());
        ((ObjectNode) manifest.path("metrics")).put("fitOnValidationTargets", true);
        json.writeValue(refit.resolve("manifest.json").toFile(), manifest);
        Path selection = copyOfDefaultBundle(dir.resolve("selection"));
        ObjectNode selected =
                (ObjectNode) json.readTree(selection.resolve("manifest.json").toFile());
        selected.put("bundleVersion", "selection-run");
        json.writeValue(selection.resolve("manifest.json").toFile(), selected);

        eval(
                "--users",
                "48",
                "--bundle",
                refit.toString(),
                "--tune",
                "--tune-bundle",
                selection.toString(),
                "--tune-weights",
                "3",
                "--tune-half-lives-hours",
                "36",
                "--save");
        assertThat(ModelBundle.load(refit).manifest().prior().weight()).isEqualTo(3.0);
        assertThat(ModelBundle.load(refit).manifest().prior().chosenOn())
                .contains("with the decoder of selection-run");

        // A decoder of another SID space cannot choose this one's prior: refused, nothing saved.
        Run refused =
                run(
                        "--users",
                        "48",
                        "--bundle",
                        refit.toString(),
                        "--tune",
                        "--tune-bundle",
                        "src/test/resources/bundle-new-space",
                        "--tune-weights",
                        "2",
                        "--tune-half-lives-hours",
                        "12",
                        "--save");
        assertThat(refused.status()).isNotZero();
        assertThat(refused.output()).contains("other item SIDs");
        assertThat(ModelBundle.load(refit).manifest().prior().weight()).isEqualTo(3.0);
    }

    @Test
    void shouldNeverScoreACaseOnSignalsMoreThanAnHourOlderThanItsRequest() {
        List<EvalCase> cases = new ArrayList<>();
        long t = 0;
        for (int i = 0; i < 500; i++) {
            t += (i % 7) * 7 * 60_000L; // 0 to 42 minutes apart
            cases.add(new EvalCase("u" + i, List.of(), "x", t, false));
        }
        List<List<EvalCase>> chunks = EvalCommand.timeChunks(cases);
        assertThat(chunks.stream().mapToInt(List::size).sum()).isEqualTo(500);
        for (List<EvalCase> chunk : chunks) {
            assertThat(chunk).hasSizeLessThanOrEqualTo(32);
            long first = chunk.get(0).timeMillis();
            assertThat(chunk)
                    .allSatisfy(
                            c ->
                                    assertThat(c.timeMillis() - first)
                                            .isLessThanOrEqualTo(3_600_000L));
        }
    }

    private static Path copyOfDefaultBundle(Path dir) throws IOException {
        Path source = Path.of("../models/default");
        Path target = dir.resolve("bundle");
        Files.createDirectories(target);
        try (Stream<Path> files = Files.list(source)) {
            for (Path f : files.toList()) {
                Files.copy(f, target.resolve(f.getFileName()));
            }
        }
        return target;
    }

    /** What {@code sidstream eval} returned and printed. */
    private record Run(int status, String output) {}

    private static Run run(String... options) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        List<String> args =
                new ArrayList<>(List.of("eval", "--data-dir", "../data/movietweetings-100k"));
        args.addAll(List.of(options));
        int status = SidstreamMain.run(args.toArray(String[]::new), out, out);
        return new Run(status, bytes.toString(StandardCharsets.UTF_8));
    }

    private static String eval(String... options) {
        Run run = run(options);
        assertThat(run.status()).as(run.output()).isZero();
        return run.output();
    }

    private static String lastJson(String output) {
        return output.lines()
                .filter(l -> l.startsWith("{\"eval\""))
                .reduce((a, b) -> b)
                .orElseThrow();
    }
}
