package io.sidstream.contracts;

import java.util.Map;

/**
 * A topic outside the public catalogue that an application creates for itself and that a deployment
 * should declare alike (partitions and configs), such as ingest-stream's confirmations and relay
 * topics.
 *
 * @param partitionedLike the topic whose partition count this one must have
 */
public record InternalTopic(
        String name,
        String description,
        TopicSpec<?, ?> partitionedLike,
        Map<String, String> configs) {
    public InternalTopic {
        configs = Map.copyOf(configs);
    }
}
