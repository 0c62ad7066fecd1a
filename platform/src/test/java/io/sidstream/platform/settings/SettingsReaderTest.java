package io.sidstream.platform.settings;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SettingsReaderTest {
    record Demo(String key, String defaultValue, String doc) implements Setting {
        static final Demo PORT = new Demo("SIDSTREAM_DEMO_PORT", "8080", "");
        static final Demo NAME = new Demo("SIDSTREAM_DEMO_NAME", "demo", "");

        static Demo[] values() {
            return new Demo[] {PORT, NAME};
        }
    }

    @Test
    void shouldReportEveryProblemAtOnce() {
        SettingsReader r =
                new SettingsReader(
                        Map.of("SIDSTREAM_DEMO_PORT", "eighty", "SIDSTREAM_DEMO_NAME", " "));
        assertThat(r.string(Demo.NAME)).isEqualTo("demo");
        r.integer(Demo.PORT, 0, 65535);
        r.problem("another one");
        assertThatThrownBy(() -> r.throwIfInvalid("demo"))
                .hasMessageContaining("SIDSTREAM_DEMO_PORT=eighty is not an integer")
                .hasMessageContaining("another one");
    }

    @Test
    void shouldNameSettingsNobodyReadsAndPassKafkaSettingsThrough() {
        SettingsReader r =
                new SettingsReader(
                        Map.of(
                                "SIDSTREAM_DEMO_PROT", "1",
                                "SIDSTREAM_DEMO_PORT", "2",
                                "SIDSTREAM_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512",
                                "SIDSTREAM_JAVA_OPTS", "-Xmx1g",
                                "PATH", "/bin"));
        assertThat(r.unknownKeys(Demo.values())).containsExactly("SIDSTREAM_DEMO_PROT");
        assertThat(r.kafkaOverrides())
                .containsExactly(Map.entry("sasl.mechanism", "SCRAM-SHA-512"));
    }
}
