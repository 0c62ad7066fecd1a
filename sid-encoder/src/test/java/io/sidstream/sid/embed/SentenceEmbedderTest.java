package io.sidstream.sid.embed;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class SentenceEmbedderTest {
    private static SentenceEmbedder embedder;

    @BeforeAll
    static void load() {
        embedder = SentenceEmbedder.load(2);
    }

    @AfterAll
    static void close() {
        embedder.close();
    }

    @Test
    void shouldProduceUnitVectorsOfTheModelDimension() {
        float[] v = embedder.embed("Pulp Fiction (1994). Categories: Crime, Thriller");
        assertThat(v).hasSize(SentenceEmbedder.DIMENSION);
        double norm = 0;
        for (float x : v) {
            norm += x * x;
        }
        assertThat(Math.sqrt(norm)).isCloseTo(1.0, within(1e-5));
    }

    @Test
    void shouldPlaceSimilarItemsCloserThanUnrelatedOnes() {
        float[][] v =
                embedder.embed(
                        List.of(
                                "The Conjuring (2013). Categories: Horror, Thriller",
                                "Insidious: Chapter 2 (2013). Categories: Horror, Thriller",
                                "Frozen (2013). Categories: Animation, Comedy, Family"));
        assertThat(dot(v[0], v[1])).isGreaterThan(dot(v[0], v[2]));
    }

    @Test
    void shouldNotLetBatchPaddingChangeAnEmbedding() {
        String shortText = "Heat (1995)";
        float[] alone = embedder.embed(shortText);
        float[] padded =
                embedder.embed(
                                List.of(
                                        shortText,
                                        "A much longer title that forces the short one to be padded (2001)."
                                                + " Categories: Drama, Romance, War, History"))[0];
        for (int d = 0; d < alone.length; d++) {
            assertThat(padded[d]).isCloseTo(alone[d], within(1e-5f));
        }
    }

    @Test
    void shouldTruncateOversizedTextInsteadOfFailing() {
        float[] v = embedder.embed("word ".repeat(2_000));
        assertThat(v).hasSize(SentenceEmbedder.DIMENSION);
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }
}
