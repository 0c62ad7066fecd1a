package io.sidstream.app;

import io.sidstream.ingest.IngestConfig;
import io.sidstream.ingest.IngestSetting;
import io.sidstream.platform.kafka.WireFormatSetting;
import io.sidstream.platform.settings.Setting;
import io.sidstream.retrieval.RetrievalSetting;
import org.apache.kafka.streams.StreamsConfig;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Renders the README's configuration table from the settings declarations, so the docs cannot drift
 * from the code ({@code ConfigTableTest} fails when the README differs; run {@code ./sidstream
 * config-table} and paste).
 */
final class ConfigTable {
    private ConfigTable() {}

    static String render() {
        Map<String, Setting[]> apps = new LinkedHashMap<>();
        apps.put("ingest-stream", IngestSetting.values());
        apps.put("retrieval-server", RetrievalSetting.values());
        apps.put("both, and client commands", WireFormatSetting.values());
        StringBuilder table =
                new StringBuilder(
                        "| setting | service | default | meaning |\n| --- | --- | --- | --- |\n");
        for (Map.Entry<String, Setting[]> app : apps.entrySet()) {
            for (Setting s : app.getValue()) {
                table.append("| `")
                        .append(s.key())
                        .append("` | ")
                        .append(app.getKey())
                        .append(" | `")
                        .append(s.defaultValue())
                        .append("` | ")
                        .append(s.doc().replace("|", "\\|"))
                        .append(" |\n");
            }
        }
        table.append(
                        "| `SIDSTREAM_KAFKA_<NAME>` | both | | passed to Kafka clients as `<name>` (lower case, `_` -> `.`), e.g. `SIDSTREAM_KAFKA_SECURITY_PROTOCOL=SASL_SSL`; unless set (as `SIDSTREAM_KAFKA_LINGER_MS` or `SIDSTREAM_KAFKA_PRODUCER_LINGER_MS`), ingest-stream's producers run with ")
                .append(rendered(IngestConfig.producerDefaults(StreamsConfig.EXACTLY_ONCE_V2)))
                .append(" under exactly_once_v2 and ")
                .append(rendered(IngestConfig.producerDefaults(StreamsConfig.AT_LEAST_ONCE)))
                .append(" under at_least_once |\n");
        return table.toString();
    }

    private static String rendered(Map<String, String> settings) {
        return settings.entrySet().stream()
                .map(e -> "`" + e.getKey() + "=" + e.getValue() + "`")
                .collect(Collectors.joining(", "));
    }
}
