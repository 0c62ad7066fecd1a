package io.sidstream.app;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The demo takes an operator's settings from the environment, but keeps its own wiring. */
class LocalDemoSettingsTest {
    @Test
    void shouldTakeServiceSettingsFromTheEnvironmentButNotWhatWiresTheDemo() {
        Map<String, String> overrides =
                LocalDemo.operatorOverrides(
                        Map.of(
                                "SIDSTREAM_RETRIEVAL_SEARCH_GRAPH", "on",
                                "SIDSTREAM_EMBED_BATCH_SIZE", "16",
                                "SIDSTREAM_KAFKA_LINGER_MS", "5",
                                "SIDSTREAM_BOOTSTRAP_SERVERS", "elsewhere:9092",
                                "SIDSTREAM_STATE_DIR", "/somewhere",
                                "SIDSTREAM_RETRIEVAL_HTTP_PORT", "9999",
                                "SIDSTREAM_JAVA_OPTS", "-Xmx1g",
                                "PATH", "/usr/bin"));
        assertThat(overrides)
                .containsOnlyKeys(
                        "SIDSTREAM_RETRIEVAL_SEARCH_GRAPH",
                        "SIDSTREAM_EMBED_BATCH_SIZE",
                        "SIDSTREAM_KAFKA_LINGER_MS");
    }
}
