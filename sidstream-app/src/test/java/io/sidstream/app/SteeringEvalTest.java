package io.sidstream.app;

import io.sidstream.app.eval.EvalCase;
import io.sidstream.datasets.CatalogItem;
import io.sidstream.datasets.Datasets;
import io.sidstream.model.onnx.ExecutionProvider;
import io.sidstream.retrieval.beam.BeamSearch;
import io.sidstream.retrieval.onnx.DecoderLogits;
import io.sidstream.retrieval.onnx.DecoderSession;
import io.sidstream.retrieval.onnx.SentenceSteering;
import io.sidstream.sid.SidAssigner;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A sentence moves real recommendations (the default bundle's decoder, its sentence encoder and
 * RQ-VAE) toward the SID prefix the sentence maps to, more as the weight grows, and the hard
 * include keeps only that prefix.
 */
class SteeringEvalTest {
    static final Path DATA = Path.of("..", "data", "movietweetings-100k");

    @Test
    void aQueryMovesTheTopTenUnderItsPrefixInProportionToItsWeight() {
        EvalCommand.Inputs in = EvalCommand.load(Path.of("..", "models", "default"), DATA, 150);
        Map<String, String> genres = new HashMap<>();
        for (CatalogItem item : Datasets.readCatalog(DATA.resolve("movies.dat"))) {
            if (!item.categories().isEmpty()) {
                genres.put(item.itemId(), String.join(", ", item.categories()));
            }
        }
        List<EvalCase> cases =
                in.test().stream().filter(c -> genres.containsKey(c.target())).limit(64).toList();
        List<SteeringEval.Row> rows;
        try (DecoderSession session = DecoderSession.open(in.bundle(), ExecutionProvider.CPU, 1);
                SentenceSteering text = new SentenceSteering(SidAssigner.open(in.bundle(), 1))) {
            BeamSearch search =
                    new BeamSearch(
                            new DecoderLogits(session),
                            in.layout(),
                            in.bundle().manifest().decoder().maxHistoryItems());
            rows =
                    SteeringEval.measure(
                            in, cases, genres, text, search, 32, List.of(1.0, 4.0), null);
        }
        assertThat(rows)
                .extracting(SteeringEval.Row::setting)
                .containsExactly(
                        "no query", "soft, weight 1.0", "soft, weight 4.0", "include level 1");
        double none = rows.get(0).underLevel1();
        double weak = rows.get(1).underLevel1();
        double strong = rows.get(2).underLevel1();
        assertThat(weak).isGreaterThanOrEqualTo(none);
        assertThat(strong).isGreaterThan(weak).isGreaterThan(none + 0.2);
        assertThat(rows.get(3).underLevel1()).isGreaterThan(0.95);
        assertThat(rows).allSatisfy(r -> assertThat(r.cases()).isEqualTo(cases.size()));
    }
}
