package io.sidstream.platform.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ServiceMetricsTest {
    @Test
    void kafkasUnderscoredTopicLabelsComeOutAsTheCataloguesNames() {
        PrometheusMeterRegistry registry = ServiceMetrics.registry();
        // As Kafka's consumer reports a topic's records.
        Counter.builder("kafka.consumer.fetch.manager.records.consumed")
                .description("records consumed")
                .tag("topic", "items_raw_v1")
                .register(registry)
                .increment();
        Counter.builder("sidstream.example")
                .description("an internal topic keeps its name")
                .tag("topic", "sidstream-ingest-items_by_id")
                .register(registry)
                .increment();

        String scrape = registry.scrape();

        assertThat(scrape)
                .contains("topic=\"items.raw.v1\"")
                .doesNotContain("topic=\"items_raw_v1\"")
                .contains("topic=\"sidstream-ingest-items_by_id\"");
    }

    @Test
    void jvmAndProcessMetersAreBoundAndEveryOneHasHelpText() {
        String scrape = ServiceMetrics.registry().scrape();
        assertThat(scrape).contains("jvm_memory_used_bytes").contains("process_uptime_seconds");
        assertThat(scrape.lines().filter(l -> l.startsWith("# HELP ")))
                .allSatisfy(l -> assertThat(l.split(" ", 4)).hasSize(4));
    }
}
