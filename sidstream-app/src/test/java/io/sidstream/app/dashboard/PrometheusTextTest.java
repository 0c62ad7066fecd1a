package io.sidstream.app.dashboard;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class PrometheusTextTest {
    static final String SCRAPE =
            """
            # HELP kafka_consumer_fetch_manager_records_lag_max The maximum lag
            # TYPE kafka_consumer_fetch_manager_records_lag_max gauge
            kafka_consumer_fetch_manager_records_lag_max{client_id="a-StateUpdater-1-restore-consumer"} NaN
            kafka_consumer_fetch_manager_records_lag_max{client_id="a-StreamThread-1-consumer"} 42.0
            kafka_consumer_fetch_manager_records_lag_max{client_id="a-StreamThread-2-consumer"} 7.0
            kafka_consumer_fetch_manager_records_lag_max_other 99.0
            sidstream_retrieval_requests_lag 3.0
            """;

    @Test
    void takesTheLargestMatchingSampleAndIgnoresNanAndLongerNames() {
        assertThat(
                        PrometheusText.max(
                                SCRAPE,
                                "kafka_consumer_fetch_manager_records_lag_max",
                                "StreamThread"))
                .hasValue(42.0);
        assertThat(PrometheusText.max(SCRAPE, "sidstream_retrieval_requests_lag", ""))
                .hasValue(3.0);
        assertThat(PrometheusText.max(SCRAPE, "sidstream_missing", "")).isEmpty();
        assertThat(
                        PrometheusText.max(
                                SCRAPE, "kafka_consumer_fetch_manager_records_lag_max", "global"))
                .isEmpty();
    }
}
