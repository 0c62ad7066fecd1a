package io.sidstream.testkit.kafka;

import io.sidstream.localkafka.KafkaCluster;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;

/**
 * A Kafka broker in a Docker container (image {@code apache/kafka}, KRaft mode), for machines that
 * run a Docker engine. The image can be overridden with the system property {@code
 * sidstream.kafka.image}.
 */
public final class ContainerKafkaCluster implements KafkaCluster {
    /** The default broker image; its Kafka version matches the pinned client version. */
    public static final String DEFAULT_IMAGE = "apache/kafka:4.1.0";

    private final KafkaContainer container;

    private ContainerKafkaCluster(KafkaContainer container) {
        this.container = container;
    }

    /** Whether a Docker engine answers; false on machines with only the Docker CLI. */
    public static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Starts a container and waits until the broker accepts connections. */
    public static ContainerKafkaCluster start() {
        String image = System.getProperty("sidstream.kafka.image", DEFAULT_IMAGE);
        KafkaContainer container = new KafkaContainer(image);
        container.start();
        return new ContainerKafkaCluster(container);
    }

    @Override
    public String bootstrapServers() {
        return container.getBootstrapServers();
    }

    @Override
    public String backend() {
        return "testcontainers";
    }

    @Override
    public void close() {
        container.stop();
    }
}
