package io.sidstream.app;

import io.sidstream.datasets.Datasets;
import io.sidstream.model.bundle.ModelBundle;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** The tokenizer report on the default bundle and the bundled dataset. */
class TokenizerReportTest {
    @Test
    void sentencePieceCutsSidsShorterThanUnigramsAndKnowsMoreColdItemsThanBigrams() {
        ModelBundle bundle = ModelBundle.load(Path.of("..", "models", "default"));
        Map<String, TokenizerReport.Row> rows =
                TokenizerReport.measure(
                                bundle,
                                Datasets.readInteractions(
                                        Path.of(
                                                "..",
                                                "data",
                                                "movietweetings-100k",
                                                "ratings.dat")),
                                bundle.manifest().rankerTokenizers().coldStartBoundaryMillis())
                        .stream()
                        .collect(Collectors.toMap(TokenizerReport.Row::name, Function.identity()));
        assertThat(rows).containsOnlyKeys("sp_unigram", "sp_bpe", "ngram-1", "ngram-2");
        TokenizerReport.Row unigram = rows.get("ngram-1");
        TokenizerReport.Row bigram = rows.get("ngram-2");
        TokenizerReport.Row bpe = rows.get("sp_bpe");
        assertThat(unigram.coldItems()).isPositive();
        // n-grams: a fixed number of tokens per SID (levels + collision code = 4; 3 pairs).
        assertThat(List.of(unigram.tokensHead(), unigram.tokensTail(), unigram.tokensCold()))
                .containsOnly(4.0);
        assertThat(bigram.tokensHead()).isEqualTo(3.0);
        // Merged prefixes: fewer tokens than one per code, most on the frequent (head) items.
        assertThat(bpe.tokensHead()).isLessThan(3.5).isLessThanOrEqualTo(bpe.tokensTail());
        // Bigrams of a new SID are mostly unseen; single codes and SentencePiece pieces are not.
        assertThat(bigram.coldAllKnown()).isLessThan(0.5);
        assertThat(unigram.coldAllKnown()).isGreaterThan(0.9);
        assertThat(bpe.coldAllKnown()).isGreaterThan(0.9);
        assertThat(bpe.vocabSize()).isLessThan(bigram.vocabSize());
    }
}
