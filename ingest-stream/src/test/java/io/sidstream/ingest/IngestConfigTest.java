package io.sidstream.ingest;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class IngestConfigTest {

    @Test
    void shouldServeByDefaultAndReTokenizeOnlyUnderAnApplicationIdOfItsOwn() {
        assertThat(IngestConfig.fromEnv(Map.of()).retokenize()).isFalse();
        assertThat(
                        IngestConfig.fromEnv(
                                        Map.of(
                                                "SIDSTREAM_INGEST_MODE", "retokenize",
                                                "SIDSTREAM_INGEST_APPLICATION_ID", "ingest-v2"))
                                .retokenize())
                .isTrue();
        assertThatThrownBy(
                        () -> IngestConfig.fromEnv(Map.of("SIDSTREAM_INGEST_MODE", "retokenize")))
                .hasMessageContaining("needs its own SIDSTREAM_INGEST_APPLICATION_ID");
        assertThatThrownBy(() -> IngestConfig.fromEnv(Map.of("SIDSTREAM_INGEST_MODE", "green")))
                .hasMessageContaining("is not serve or retokenize");
    }
}
