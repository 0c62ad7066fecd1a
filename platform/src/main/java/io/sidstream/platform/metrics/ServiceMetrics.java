package io.sidstream.platform.metrics;

import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * The Prometheus registry of a sidstream service, with JVM and process meters bound. Kafka's client
 * metrics spell a topic's dots as underscores ({@code items_raw_v1}); renaming them here would
 * break Micrometer's removal of the meters of revoked partitions, so the ServiceMonitor's metric
 * relabelling maps them back to the catalogue's names ({@code k8s/base/monitoring}).
 */
public final class ServiceMetrics {
    private ServiceMetrics() {}

    /** A new registry for one service. */
    public static PrometheusMeterRegistry registry() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        return registry;
    }
}
