package io.sidstream.contracts;

import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.serialization.Serde;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One topic of the system: its name, how its keys and values are encoded, and how it is laid out on
 * the brokers. Immutable; serdes are stateless and thread-safe.
 *
 * @param name versioned topic name, {@code <domain>.<entity>.v<N>[.dlq]}
 * @param keySerde serde of record keys
 * @param valueSerde serde of record values; {@code null} values are tombstones
 * @param partitions default partition count; bounds the parallelism of every consumer
 * @param cleanupPolicy delete or compact
 * @param retention how long records are kept; {@code null} means forever (compacted tables)
 * @param description what the topic carries, for docs and generated manifests
 */
public record TopicSpec<K, V>(
        String name,
        Serde<K> keySerde,
        Serde<V> valueSerde,
        int partitions,
        CleanupPolicy cleanupPolicy,
        Duration retention,
        String description) {

    public TopicSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(keySerde, "keySerde");
        Objects.requireNonNull(valueSerde, "valueSerde");
        Objects.requireNonNull(cleanupPolicy, "cleanupPolicy");
        Objects.requireNonNull(description, "description");
        // A qualifier after the version names a SID space's own copy of a table.
        if (!name.matches("[a-z]+(\\.[a-z-]+)*\\.v[0-9]+(\\.dlq|\\.[A-Za-z0-9_-]+)?")) {
            throw new IllegalArgumentException(
                    "topic name '"
                            + name
                            + "' is not of the form <domain>.<entity>.v<N>[.dlq|.<sid space>]");
        }
        if (partitions < 1) {
            throw new IllegalArgumentException(
                    name + ": partitions must be >= 1, was " + partitions);
        }
        if (retention != null && (retention.isNegative() || retention.isZero())) {
            throw new IllegalArgumentException(name + ": retention must be positive or null");
        }
    }

    /** Topic-level configs to create the topic with. */
    public Map<String, String> configs() {
        Map<String, String> configs = new LinkedHashMap<>();
        configs.put("cleanup.policy", cleanupPolicy.configValue());
        configs.put("retention.ms", retention == null ? "-1" : Long.toString(retention.toMillis()));
        return configs;
    }

    /** An admin-client topic definition with the catalogue's partitions and configs. */
    public NewTopic toNewTopic(short replicationFactor) {
        return toNewTopic(partitions, replicationFactor);
    }

    /** An admin-client topic definition with an overridden partition count (e.g. local mode). */
    public NewTopic toNewTopic(int partitionCount, short replicationFactor) {
        return new NewTopic(name, partitionCount, replicationFactor).configs(configs());
    }
}
