package io.sidstream.platform.kafka;

import io.sidstream.contracts.TopicSpec;
import io.sidstream.contracts.Topics;
import io.sidstream.contracts.serde.AvroSerde;
import io.sidstream.contracts.serde.AvroSerdes;
import io.sidstream.contracts.serde.RegistryWireFormat;
import io.sidstream.contracts.serde.SchemaRegistryClient;
import io.sidstream.platform.settings.Setting;
import io.sidstream.platform.settings.SettingsReader;
import org.apache.avro.specific.SpecificData;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The public topics' wire format of one process, read from {@link WireFormatSetting}s and applied
 * with {@link #install(boolean)} before the process builds a Kafka client.
 *
 * @param registry whether public topics are written in the registry framing
 * @param registryUrl the registry, or {@code null}; in single-object mode a registry still decodes
 *     registry-framed records written before a switch back
 * @param credentials {@code user:password} for basic auth, or {@code null}
 */
public record WireFormatSelection(boolean registry, URI registryUrl, String credentials) {
    /** Single-object encoding, the local-mode default. */
    public static final WireFormatSelection SINGLE_OBJECT =
            new WireFormatSelection(false, null, null);

    /** Reads the selection, recording every problem in {@code r}. */
    public static WireFormatSelection read(SettingsReader r) {
        String mode = r.string(WireFormatSetting.WIRE_FORMAT).toLowerCase(Locale.ROOT);
        boolean registry = mode.equals("registry");
        if (!registry && !mode.equals("single-object")) {
            r.problem(
                    WireFormatSetting.WIRE_FORMAT.key()
                            + "="
                            + mode
                            + " is not single-object or registry");
        }
        String url = r.string(WireFormatSetting.SCHEMA_REGISTRY_URL);
        URI uri = null;
        if (url.isBlank()) {
            if (registry) {
                r.problem(
                        WireFormatSetting.SCHEMA_REGISTRY_URL.key()
                                + " is required with "
                                + WireFormatSetting.WIRE_FORMAT.key()
                                + "=registry");
            }
        } else {
            try {
                uri = URI.create(url);
                if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
                        || uri.getHost() == null) {
                    r.problem(
                            WireFormatSetting.SCHEMA_REGISTRY_URL.key()
                                    + "="
                                    + url
                                    + " is not an http(s) address with a host");
                    uri = null;
                }
            } catch (IllegalArgumentException e) {
                r.problem(
                        WireFormatSetting.SCHEMA_REGISTRY_URL.key()
                                + "="
                                + url
                                + " is not an address: "
                                + e.getMessage());
            }
        }
        String credentials = null;
        String file = r.string(WireFormatSetting.SCHEMA_REGISTRY_CREDENTIALS_FILE);
        if (!file.isBlank()) {
            try {
                credentials = Files.readString(Path.of(file), StandardCharsets.UTF_8).strip();
                if (!credentials.contains(":")) {
                    r.problem(
                            WireFormatSetting.SCHEMA_REGISTRY_CREDENTIALS_FILE.key()
                                    + ": "
                                    + file
                                    + " does not hold user:password");
                }
            } catch (IOException e) {
                r.problem(
                        WireFormatSetting.SCHEMA_REGISTRY_CREDENTIALS_FILE.key()
                                + ": cannot read "
                                + file
                                + " ("
                                + e.getMessage()
                                + ")");
            }
        }
        return new WireFormatSelection(registry, uri, credentials);
    }

    /** An app's own settings followed by the wire-format ones, for unknown-key checks. */
    public static Setting[] withAppSettings(Setting[] app) {
        return Stream.concat(Arrays.stream(app), Arrays.stream(WireFormatSetting.values()))
                .toArray(Setting[]::new);
    }

    /**
     * Selects this format for the process's public serdes. With a registry, it must answer first,
     * and a writer registers the value schema of every catalogued topic: a wrong address, wrong
     * credentials or a refused (incompatible) schema fail the start, not the first record.
     *
     * @param writes whether the process writes public topics (a service, not a reading client)
     * @throws IllegalStateException when the registry does not answer or refuses a schema
     */
    public void install(boolean writes) {
        if (registryUrl == null) {
            AvroSerdes.useSingleObject();
            return;
        }
        SchemaRegistryClient client = SchemaRegistryClient.of(registryUrl, credentials);
        try {
            client.subjects();
            if (registry && writes) {
                for (TopicSpec<?, ?> topic : Topics.all()) {
                    if (topic.valueSerde() instanceof AvroSerde<?> serde) {
                        client.register(
                                RegistryWireFormat.valueSubject(topic.name()),
                                SpecificData.getForClass(serde.type()).getSchema(serde.type()));
                    }
                }
            }
        } catch (SchemaRegistryClient.RegistryUnavailableException e) {
            throw new IllegalStateException(
                    e.getMessage() + " (check " + WireFormatSetting.SCHEMA_REGISTRY_URL.key() + ")",
                    e);
        }
        if (registry) {
            AvroSerdes.useRegistry(client);
        } else {
            AvroSerdes.useSingleObjectReadingRegistry(client);
        }
    }
}
