package io.sidstream.deploy;

import io.sidstream.contracts.InternalTopic;
import io.sidstream.contracts.TopicSpec;

import java.util.List;
import java.util.Map;

/**
 * Strimzi {@code KafkaTopic} resources for the topic catalogue, as committed in {@code
 * k8s/base/kafka/topics.yaml} (regenerate with {@code ./sidstream k8s topics}; a test fails when
 * the file and the catalogue disagree).
 */
public final class TopicManifests {
    /** The Strimzi Kafka cluster the manifests assume ({@code strimzi.io/cluster}). */
    public static final String CLUSTER = "sidstream-kafka";

    /** Copies of every partition; with min.insync.replicas 2 one broker may be down. */
    public static final int REPLICAS = 3;

    private TopicManifests() {}

    /** The YAML stream: one KafkaTopic per catalogue topic, then one per internal topic. */
    public static String yaml(List<TopicSpec<?, ?>> catalogue, List<InternalTopic> internal) {
        StringBuilder out = new StringBuilder();
        out.append("# Generated from the topic catalogue (io.sidstream.contracts.Topics) by\n")
                .append("# `./sidstream k8s topics > k8s/base/kafka/topics.yaml`; do not edit.\n");
        boolean first = true;
        for (TopicSpec<?, ?> spec : catalogue) {
            if (!first) {
                out.append("---\n");
            }
            first = false;
            topic(out, spec.name(), spec.description(), spec.partitions(), spec.configs());
        }
        for (InternalTopic t : internal) {
            out.append("---\n");
            topic(out, t.name(), t.description(), t.partitionedLike().partitions(), t.configs());
        }
        return out.toString();
    }

    /** The resource name of a topic: dots are legal but dashes read better in kubectl output. */
    public static String resourceName(String topic) {
        return topic.replace('.', '-');
    }

    private static void topic(
            StringBuilder out,
            String name,
            String description,
            int partitions,
            Map<String, String> configs) {
        out.append("# ")
                .append(description)
                .append('\n')
                .append("apiVersion: kafka.strimzi.io/v1beta2\n")
                .append("kind: KafkaTopic\n")
                .append("metadata:\n")
                .append("  name: ")
                .append(resourceName(name))
                .append('\n')
                .append("  labels:\n")
                .append("    strimzi.io/cluster: ")
                .append(CLUSTER)
                .append('\n')
                .append("    app.kubernetes.io/part-of: sidstream\n")
                .append("spec:\n")
                .append("  topicName: ")
                .append(name)
                .append('\n')
                .append("  partitions: ")
                .append(partitions)
                .append('\n')
                .append("  replicas: ")
                .append(REPLICAS)
                .append('\n')
                .append("  config:\n");
        configs.entrySet().stream()
                .sorted(Map.Entry.comparingByKey())
                .forEach(
                        e ->
                                out.append("    ")
                                        .append(e.getKey())
                                        .append(": \"")
                                        .append(e.getValue())
                                        .append("\"\n"));
        out.append("    min.insync.replicas: \"2\"\n");
    }
}
