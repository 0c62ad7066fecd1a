package io.sidstream.platform.kafka;

import io.sidstream.platform.settings.Setting;

/**
 * The wire format of the public topics, shared by every sidstream process (services and client
 * commands alike), declared once.
 */
public enum WireFormatSetting implements Setting {
    WIRE_FORMAT(
            "SIDSTREAM_WIRE_FORMAT",
            "single-object",
            "Public topics' framing: single-object (Avro single-object encoding, no registry) or"
                    + " registry (magic byte 0 + 4-byte schema id, for registry-aware clients);"
                    + " readers accept both in registry mode."),
    SCHEMA_REGISTRY_URL(
            "SIDSTREAM_SCHEMA_REGISTRY_URL",
            "",
            "With registry: the Confluent-compatible REST base, e.g. http://registry:8080 or"
                    + " Apicurio's http://registry:8080/apis/ccompat/v7."),
    SCHEMA_REGISTRY_CREDENTIALS_FILE(
            "SIDSTREAM_SCHEMA_REGISTRY_CREDENTIALS_FILE",
            "",
            "With registry: a file holding user:password for HTTP basic auth (blank: none).");

    private final String key;
    private final String defaultValue;
    private final String doc;

    WireFormatSetting(String key, String defaultValue, String doc) {
        this.key = key;
        this.defaultValue = defaultValue;
        this.doc = doc;
    }

    @Override
    public String key() {
        return key;
    }

    @Override
    public String defaultValue() {
        return defaultValue;
    }

    @Override
    public String doc() {
        return doc;
    }
}
