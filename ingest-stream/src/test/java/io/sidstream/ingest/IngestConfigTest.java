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

    /**
     * Streams' producer default of linger.ms 100 would hold each record up to 100 ms at every hop
     * of the SID path under at_least_once; ingest runs with 5 ms there unless an operator says
     * otherwise, and keeps Streams' linger under exactly-once (records are readable only at the
     * commit).
     */
    @Test
    void shouldLingerBrieflyUnlessTheOperatorSetsTheProducerInEitherForm() {
        Map<String, String> atLeastOnce = Map.of("SIDSTREAM_PROCESSING_GUARANTEE", "at_least_once");
        assertThat(IngestConfig.fromEnv(atLeastOnce).streamsProperties())
                .containsEntry("producer.linger.ms", "5")
                .containsEntry("producer.batch.size", "262144");
        assertThat(IngestConfig.fromEnv(Map.of()).streamsProperties())
                .doesNotContainKey("producer.linger.ms")
                .containsEntry("producer.batch.size", "262144");
        Map<String, String> operatorLinger = new java.util.HashMap<>(atLeastOnce);
        operatorLinger.put("SIDSTREAM_KAFKA_LINGER_MS", "50");
        assertThat(IngestConfig.fromEnv(operatorLinger).streamsProperties())
                .containsEntry("linger.ms", "50")
                .doesNotContainKey("producer.linger.ms")
                .containsEntry("producer.batch.size", "262144");
        assertThat(
                        IngestConfig.fromEnv(Map.of("SIDSTREAM_KAFKA_PRODUCER_BATCH_SIZE", "1024"))
                                .streamsProperties())
                .containsEntry("producer.batch.size", "1024");
    }
}
