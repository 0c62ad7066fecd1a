package io.sidstream.localkafka;

import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A single-node KRaft cluster (combined broker + controller) running inside this JVM, listening on
 * loopback with random ports and keeping its logs in a temp directory that {@link #close()}
 * deletes.
 *
 * <p>Built on Kafka's own {@code KafkaClusterTestKit}. That is an internal Kafka test API, which is
 * why the Kafka version is pinned in the parent POM and all use of it is confined to this class.
 */
public final class EmbeddedKraftCluster implements KafkaCluster {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKraftCluster.class);

    /** Fixed, so that a persistent data directory is recognised as the same cluster. */
    private static final String PERSISTENT_CLUSTER_ID = "c2lkc3RyZWFtLWxvY2FsIQ";

    private final KafkaClusterTestKit cluster;
    private final String bootstrapServers;

    private EmbeddedKraftCluster(KafkaClusterTestKit cluster) {
        this.cluster = cluster;
        this.bootstrapServers = cluster.bootstrapServers();
    }

    /** Formats, starts and waits for a one-node cluster; typically 2 s in a cold JVM. */
    public static EmbeddedKraftCluster start() {
        return start(null);
    }

    /**
     * A one-node cluster whose logs live in {@code dataDir} and survive {@link #close()}: started
     * again on the same directory, it has the same topics, records and consumer offsets (the
     * listener ports are new). Formats the directory only when it holds no cluster yet.
     */
    public static EmbeddedKraftCluster startPersistent(Path dataDir) {
        return start(dataDir);
    }

    private static EmbeddedKraftCluster start(Path dataDir) {
        long t0 = System.nanoTime();
        KafkaClusterTestKit cluster = null;
        try {
            TestKitNodes.Builder nodes =
                    new TestKitNodes.Builder()
                            .setCombined(true)
                            .setNumBrokerNodes(1)
                            .setNumControllerNodes(1);
            boolean formatted = false;
            if (dataDir != null) {
                Files.createDirectories(dataDir);
                nodes.setBaseDirectory(dataDir).setClusterId(PERSISTENT_CLUSTER_ID);
                try (var entries = Files.list(dataDir)) {
                    formatted = entries.findAny().isPresent();
                }
            }
            cluster =
                    new KafkaClusterTestKit.Builder(nodes.build())
                            // A single broker cannot host the internal topics' default RF of 3:
                            // without these, consumer groups and transactions never start.
                            .setConfigProp("offsets.topic.replication.factor", "1")
                            .setConfigProp("offsets.topic.num.partitions", "4")
                            .setConfigProp("transaction.state.log.replication.factor", "1")
                            .setConfigProp("transaction.state.log.min.isr", "1")
                            .setConfigProp("transaction.state.log.num.partitions", "4")
                            .setConfigProp("share.coordinator.state.topic.replication.factor", "1")
                            .setConfigProp("share.coordinator.state.topic.min.isr", "1")
                            .setConfigProp("group.initial.rebalance.delay.ms", "0")
                            .setConfigProp("auto.create.topics.enable", "false")
                            .setDeleteOnClose(dataDir == null)
                            .build();
            if (!formatted) {
                cluster.format();
            }
            cluster.startup();
            cluster.waitForReadyBrokers();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closeQuietly(cluster);
            throw new IllegalStateException("interrupted while starting the embedded broker", e);
        } catch (Exception e) {
            closeQuietly(cluster);
            throw new IllegalStateException(
                    "embedded KRaft broker failed to start"
                            + (dataDir == null
                                    ? ""
                                    : " on " + dataDir + " (delete it to start afresh)"),
                    e);
        }
        EmbeddedKraftCluster started = new EmbeddedKraftCluster(cluster);
        LOG.info(
                "embedded KRaft broker ready bootstrap={} dataDir={} startupMs={}",
                started.bootstrapServers,
                dataDir == null ? "(temporary)" : dataDir,
                (System.nanoTime() - t0) / 1_000_000);
        return started;
    }

    @Override
    public String bootstrapServers() {
        return bootstrapServers;
    }

    @Override
    public String backend() {
        return "embedded-kraft";
    }

    @Override
    public void close() {
        closeQuietly(cluster);
    }

    private static void closeQuietly(KafkaClusterTestKit cluster) {
        if (cluster == null) {
            return;
        }
        try {
            cluster.close();
        } catch (Exception e) {
            LOG.warn("embedded broker did not close cleanly", e);
        }
    }
}
