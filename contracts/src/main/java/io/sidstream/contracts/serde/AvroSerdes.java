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
 * client. Readers accept both framings in registry mode, so a topic can switch without draining.
 * State stores and internal topics of an app's own schema set always use single-object encoding:
 * only sidstream reads them.
 */
public final class AvroSerdes {
    private static final Map<List<Object>, AvroSerde<?>> SERDES = new ConcurrentHashMap<>();
    private static volatile SchemaRegistry registry;

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
    }

    /** Public topics use single-object encoding (the default). */
    public static void useSingleObject() {
        registry = null;
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
            RegistryWireFormat<T> format = registryFormat();
            return format == null ? singleObject.encode(record) : format.encode(record);
        }

        @Override
        public byte[] encode(String topic, T record) {
            RegistryWireFormat<T> format = registryFormat();
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
                                + ") but this process reads single-object encoding: set"
                                + " SIDSTREAM_WIRE_FORMAT=registry and"
                                + " SIDSTREAM_SCHEMA_REGISTRY_URL");
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
