/**
 * The contracts between sidstream's services and its users: the topic catalogue ({@link
 * io.sidstream.contracts.Topics}), the Avro record types of every topic (package {@code
 * io.sidstream.schemas.v1}, generated from {@code src/main/avro}) and their serdes.
 *
 * <p>No business logic lives here. All types are non-null unless marked otherwise.
 */
package io.sidstream.contracts;
