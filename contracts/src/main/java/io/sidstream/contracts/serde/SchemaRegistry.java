package io.sidstream.contracts.serde;

import org.apache.avro.Schema;

/**
 * What the registry wire format asks of a schema registry: the id of a subject's schema, and the
 * schema of an id. {@link SchemaRegistryClient} asks a registry server over REST.
 */
public interface SchemaRegistry {
    /** The global id of {@code schema} under {@code subject}, registering it if needed. */
    int register(String subject, Schema schema);

    /**
     * The schema with this global id.
     *
     * @throws UnknownSchemaException when there is none
     */
    Schema schemaById(int id);
}
