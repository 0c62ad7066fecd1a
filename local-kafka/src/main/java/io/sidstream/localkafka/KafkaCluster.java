package io.sidstream.localkafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A running, real Kafka cluster that tests talk to over loopback.
 *
 * <p>Implementations own their broker processes or containers; {@link #close()} stops them and
 * removes their data. Instances are shared across test classes by {@link KafkaClusterExtension}, so
 * tests must isolate themselves with unique topic names and application ids (see {@link
 * #uniqueName(String)}), never by restarting the cluster. Thread-safe.
 */
public interface KafkaCluster extends AutoCloseable {

    /** The {@code bootstrap.servers} value clients use to reach this cluster. */
    String bootstrapServers();

    /** Which backend runs this cluster, for test logs ("embedded-kraft", "testcontainers"). */
    String backend();

    /** Client properties with {@code bootstrap.servers} set, ready for further settings. */
    default Properties clientProperties() {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        return props;
    }

    /** Opens an admin client; the caller closes it. */
    default Admin admin() {
        return Admin.create(clientProperties());
    }

    /** Creates the topics and waits until the controller has acknowledged all of them. */
    default void createTopics(Collection<NewTopic> topics) {
        try (Admin admin = admin()) {
            admin.createTopics(topics).all().get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics " + topics, e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("could not create topics " + topics, e);
        }
    }

    /** Creates single-partition topics with the given names. */
    default void createTopics(String... names) {
        createTopics(List.of(names).stream().map(n -> new NewTopic(n, 1, (short) 1)).toList());
    }

    /** Creates a topic with the given partition count and topic-level configs. */
    default void createTopic(String name, int partitions, Map<String, String> configs) {
        createTopics(List.of(new NewTopic(name, partitions, (short) 1).configs(configs)));
    }

    /**
     * A name unique within this JVM, for topics and application ids, so tests sharing a cluster
     * never see each other's records.
     */
    static String uniqueName(String prefix) {
        return UniqueNames.next(prefix);
    }

    /** Default deadline for waits on this cluster. */
    static Duration defaultTimeout() {
        return Duration.ofSeconds(60);
    }

    @Override
    void close();
}
