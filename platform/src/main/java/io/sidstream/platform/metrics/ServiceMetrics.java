package io.sidstream.platform.metrics;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sidstream.contracts.TopicSpec;
import io.sidstream.contracts.Topics;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The Prometheus registry of a sidstream service: JVM and process meters bound, and one spelling of
 * every topic in labels. Kafka's client metrics write a topic's dots as underscores ({@code
 * items_raw_v1}) while sidstream's own meters use the real name; dashboards and alerts should not
 * have to know both, so the filter maps the catalogue's underscored names back.
 */
public final class ServiceMetrics {
    private static final Map<String, String> CATALOGUE_BY_UNDERSCORED = new HashMap<>();

    static {
        for (TopicSpec<?, ?> spec : Topics.all()) {
            CATALOGUE_BY_UNDERSCORED.put(spec.name().replace('.', '_'), spec.name());
        }
    }

    private ServiceMetrics() {}

    /** A new registry for one service. */
    public static PrometheusMeterRegistry registry() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registry.config().meterFilter(topicNames());
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        return registry;
    }

    /** Rewrites {@code topic} labels that spell a catalogued topic with underscores. */
    static MeterFilter topicNames() {
        return new MeterFilter() {
            @Override
            public Meter.Id map(Meter.Id id) {
                String topic = id.getTag("topic");
                String real = topic == null ? null : CATALOGUE_BY_UNDERSCORED.get(topic);
                if (real == null) {
                    return id;
                }
                List<Tag> tags =
                        id.getTags().stream()
                                .map(t -> t.getKey().equals("topic") ? Tag.of("topic", real) : t)
                                .toList();
                return id.replaceTags(tags);
            }
        };
    }
}
