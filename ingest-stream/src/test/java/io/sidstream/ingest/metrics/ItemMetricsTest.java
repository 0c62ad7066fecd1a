package io.sidstream.ingest.metrics;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sidstream.ingest.errors.RejectReason;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ItemMetricsTest {
    @Test
    void shouldGiveEveryMetricHelpText() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ItemMetrics metrics = new ItemMetrics(registry, 3, 256);
        metrics.assigned(List.of(1, 2, 3, 0), 0, 5);
        metrics.unchanged();
        metrics.delisted();
        metrics.embedBatch(4);
        metrics.deadLetter(RejectReason.UNDECODABLE);
        metrics.orphanedConfirmation();
        metrics.staleConfirmation();
        String scrape = registry.scrape();
        assertThat(scrape.lines().filter(l -> l.startsWith("# HELP sidstream_")))
                .hasSizeGreaterThan(10)
                .allMatch(l -> l.split(" ", 4).length == 4 && !l.split(" ", 4)[3].isBlank());
    }
}
