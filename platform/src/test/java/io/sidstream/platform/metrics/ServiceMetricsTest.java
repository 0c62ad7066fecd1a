package io.sidstream.platform.metrics;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ServiceMetricsTest {
    @Test
    void jvmAndProcessMetersAreBoundAndEveryOneHasHelpText() {
        String scrape = ServiceMetrics.registry().scrape();
        assertThat(scrape).contains("jvm_memory_used_bytes").contains("process_uptime_seconds");
        assertThat(scrape.lines().filter(l -> l.startsWith("# HELP ")))
                .allSatisfy(l -> assertThat(l.split(" ", 4)).hasSize(4));
    }
}
