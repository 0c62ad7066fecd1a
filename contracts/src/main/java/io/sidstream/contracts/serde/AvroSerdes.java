package io.sidstream.contracts.serde;

import io.sidstream.contracts.ReleasedSchemaSet;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Serdes for sidstream's Avro record types, one shared stateless instance per type.
 *
 * <p>The serdes of the public topics ({@link #forType(Class)}) write the wire format selected for
 * the process: single-object encoding by default, or the schema-registry framing after {@link
 * #useRegistry}. Each app selects once at start-up from its configuration, before it builds a
 * client. Readers accept both framings whenever a registry is known, so a topic can switch either
 * way without draining. State stores and internal topics of an app's own schema set always use
 * single-object encoding: only sidstream reads them.
 */
public final class AvroSerdes {
    private static final Map<List<Object>, AvroSerde<?>> SERDES = new ConcurrentHashMap<>();
    private static volatile SchemaRegistry registry;
    private static volatile boolean writeRegistryFraming;

    private AvroSerdes() {}

    /** The serde of a public record type, in the wire format selected for the process. */
    @SuppressWarnings("unchecked")
    public static <T extends SpecificRecord> AvroSerde<T> forType(Class<T> type) {
        return (AvroSerde<T>)
                SERDES.computeIfAbsent(
                        List.of(type), t -> new AvroSerde<>(new SelectedWireFormat<>(type)));
    }

    /**
     * The serde for a record type of an application's internal schema set: stores, changelogs and
     * internal topics, whose released versions stay readable like the public ones.
     */
    @SuppressWarnings("unchecked")
    public static <T extends SpecificRecord> AvroSerde<T> forType(
            Class<T> type, ReleasedSchemaSet released) {
        return (AvroSerde<T>)
                SERDES.computeIfAbsent(
                        List.of(type, released),
                        t -> new AvroSerde<>(new SingleObjectWireFormat<>(type, released)));
    }

    /** Public topics use the schema-registry framing with ids from {@code client}. */
    public static void useRegistry(SchemaRegistry client) {
        registry = Objects.requireNonNull(client, "client");
        writeRegistryFraming = true;
    }

    /**
     * Public topics are written in single-object encoding; registry-framed records still decode
     * through {@code client}, so a system that switches back from the registry format keeps reading
     * what it wrote before.
     */
    public static void useSingleObjectReadingRegistry(SchemaRegistry client) {
        registry = Objects.requireNonNull(client, "client");
        writeRegistryFraming = false;
    }

    /** Public topics use single-object encoding only (the default). */
    public static void useSingleObject() {
        registry = null;
        writeRegistryFraming = false;
    }

    /** A single-object serde whatever the selection, for state only this process reads. */
    @SuppressWarnings("unchecked")
    public static <T extends SpecificRecord> AvroSerde<T> singleObject(Class<T> type) {
        return (AvroSerde<T>)
                SERDES.computeIfAbsent(
                        List.of(type, "single-object"),
                        t -> new AvroSerde<>(new SingleObjectWireFormat<>(type)));
    }

    /** The registry of the process's selection, or {@code null} for single-object encoding. */
    public static SchemaRegistry registry() {
        return registry;
    }

    /** Delegates to the format of the process's current selection. */
    private static final class SelectedWireFormat<T extends SpecificRecord>
            implements WireFormat<T> {
        private final Class<T> type;
        private final SingleObjectWireFormat<T> singleObject;
        private volatile RegistryWireFormat<T> registered;

        SelectedWireFormat(Class<T> type) {
            this.type = type;
            this.singleObject = new SingleObjectWireFormat<>(type);
        }

        @Override
        public Class<T> type() {
            return type;
        }

        @Override
        public byte[] encode(T record) {
            RegistryWireFormat<T> format = writeRegistryFraming ? registryFormat() : null;
            return format == null ? singleObject.encode(record) : format.encode(record);
        }

        @Override
        public byte[] encode(String topic, T record) {
            RegistryWireFormat<T> format = writeRegistryFraming ? registryFormat() : null;
            return format == null ? singleObject.encode(record) : format.encode(topic, record);
        }

        @Override
        public T decode(byte[] bytes) {
            RegistryWireFormat<T> format = registryFormat();
            if (format != null) {
                return format.decode(bytes);
            }
            if (bytes.length >= RegistryWireFormat.HEADER && bytes[0] == RegistryWireFormat.MAGIC) {
                throw new SerializationException(
                        "this "
                                + type.getSimpleName()
                                + " record uses the schema-registry framing (magic byte 0, schema"
                                + " id "
                                + RegistryWireFormat.schemaIdOf(bytes)
                                + ") and this process knows no registry: set"
                                + " SIDSTREAM_SCHEMA_REGISTRY_URL (with SIDSTREAM_WIRE_FORMAT=registry"
                                + " to write that framing too)");
            }
            return singleObject.decode(bytes);
        }

        private RegistryWireFormat<T> registryFormat() {
            SchemaRegistry client = registry;
            if (client == null) {
                return null;
            }
            RegistryWireFormat<T> format = registered;
            if (format == null || format.registry() != client) {
                format = new RegistryWireFormat<>(type, client, singleObject);
                registered = format;
            }
            return format;
        }
    }
}
