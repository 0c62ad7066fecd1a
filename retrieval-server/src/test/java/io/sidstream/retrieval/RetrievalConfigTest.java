package io.sidstream.retrieval;

import io.sidstream.model.bundle.BundleManifest;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Which popularity prior an instance serves with (the bundle's, unless the operator says), and when
 * it answers with the one-graph search.
 */
class RetrievalConfigTest {
    static final BundleManifest.Prior CHOSEN = new BundleManifest.Prior(2.5, 48, 0.5, "test");

    @Test
    void shouldServeTheBundlesChosenPriorWhenNoPriorKeyIsSet() {
        RetrievalConfig config = RetrievalConfig.fromEnv(Map.of());
        assertThat(config.priorFor(CHOSEN))
                .isEqualTo(new PriorSettings(2.5, Duration.ofHours(48), 0.5));
        // A bundle that records none: the settings' defaults.
        assertThat(config.priorFor(null))
                .isEqualTo(new PriorSettings(1, Duration.ofHours(24), 0.1));
    }

    @Test
    void shouldLetAnyPriorKeyOfTheOperatorOverrideTheBundle() {
        for (String key :
                new String[] {
                    "SIDSTREAM_PRIOR_WEIGHT",
                    "SIDSTREAM_PRIOR_HALF_LIFE_HOURS",
                    "SIDSTREAM_PRIOR_PSEUDO_COUNT"
                }) {
            String value = key.endsWith("HOURS") ? "12" : "0.25";
            PriorSettings served = RetrievalConfig.fromEnv(Map.of(key, value)).priorFor(CHOSEN);
            assertThat(served).as(key).isNotEqualTo(PriorSettings.of(CHOSEN));
        }
        assertThat(RetrievalConfig.fromEnv(Map.of("SIDSTREAM_PRIOR_WEIGHT", "0")).priorFor(CHOSEN))
                .extracting(PriorSettings::weight)
                .isEqualTo(0.0);
    }

    @Test
    void shouldRefuseAPriorThatCannotBeServed() {
        assertThatThrownBy(() -> new PriorSettings(1, Duration.ZERO, 0.1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PriorSettings(-1, Duration.ofHours(1), 0.1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldAnswerWithTheSearchGraphOnCudaByDefaultAndWhereverTheOperatorRequiresIt() {
        SearchGraph byDefault = RetrievalConfig.fromEnv(Map.of()).searchGraph();
        assertThat(byDefault).isEqualTo(SearchGraph.AUTO);
        assertThat(byDefault.uses(true, "cuda")).isTrue();
        assertThat(byDefault.uses(true, "cpu")).isFalse();
        assertThat(byDefault.uses(false, "cuda")).isFalse();

        SearchGraph on =
                RetrievalConfig.fromEnv(Map.of("SIDSTREAM_RETRIEVAL_SEARCH_GRAPH", "on"))
                        .searchGraph();
        assertThat(on.uses(true, "cpu")).isTrue();
        assertThatThrownBy(() -> on.uses(false, "cpu"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no decoder.searchFile");
        assertThat(
                        RetrievalConfig.fromEnv(Map.of("SIDSTREAM_RETRIEVAL_SEARCH_GRAPH", " OFF "))
                                .searchGraph()
                                .uses(true, "cuda"))
                .isFalse();
        assertThatThrownBy(
                        () ->
                                RetrievalConfig.fromEnv(
                                        Map.of(
                                                "SIDSTREAM_RETRIEVAL_SEARCH_GRAPH", "yes",
                                                "SIDSTREAM_MAX_BATCH", "0")))
                .hasMessageContaining("SIDSTREAM_RETRIEVAL_SEARCH_GRAPH")
                .hasMessageContaining("SIDSTREAM_MAX_BATCH");
    }
}
