package io.sidstream.localkafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.network.ListenerName;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

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

    /**
     * A client listener with TLS and SASL, as a production cluster has: SCRAM-SHA-512 for the users
     * {@link #createScramUser created} later, PLAIN for the super user {@code adminUser}, and
     * Kafka's {@code StandardAuthorizer} denying what no ACL allows.
     *
     * @param keyStore the broker's PKCS12 key store (certificate for localhost)
     * @param trustStorePem the CA certificate(s) the broker trusts as a client of itself
     */
    public record SaslSslListener(
            Path keyStore,
            String keyStorePassword,
            Path trustStorePem,
            String adminUser,
            String adminPassword) {}

    private final SaslSslListener secure;

    private EmbeddedKraftCluster(KafkaClusterTestKit cluster, SaslSslListener secure) {
        this.cluster = cluster;
        this.secure = secure;
        this.bootstrapServers = cluster.bootstrapServers();
    }

    /** Formats, starts and waits for a one-node cluster; typically 2 s in a cold JVM. */
    public static EmbeddedKraftCluster start() {
        return start(null, null);
    }

    /**
     * A one-node cluster whose logs live in {@code dataDir} and survive {@link #close()}: started
     * again on the same directory, it has the same topics, records and consumer offsets (the
     * listener ports are new). Formats the directory only when it holds no cluster yet.
     */
    public static EmbeddedKraftCluster startPersistent(Path dataDir) {
        return start(dataDir, null);
    }

    /**
     * A one-node cluster whose only client listener is SASL_SSL with ACLs enforced (the controller
     * listener stays internal, in this JVM). Clients connect as {@code secure.adminUser()} (a super
     * user, SASL PLAIN) or as a SCRAM user made with {@link #createScramUser}.
     */
    public static EmbeddedKraftCluster startSaslSsl(SaslSslListener secure) {
        return start(null, secure);
    }

    private static EmbeddedKraftCluster start(Path dataDir, SaslSslListener secure) {
        long t0 = System.nanoTime();
        KafkaClusterTestKit cluster = null;
        try {
            TestKitNodes.Builder nodes =
                    new TestKitNodes.Builder()
                            .setCombined(true)
                            .setNumBrokerNodes(1)
                            .setNumControllerNodes(1);
            if (secure != null) {
                // The test kit's node builder knows only PLAINTEXT and SASL_PLAINTEXT; the
                // listener is turned into SASL_SSL by its security protocol map below.
                nodes.setBrokerListenerName(new ListenerName(SECURE_LISTENER))
                        .setBrokerSecurityProtocol(SecurityProtocol.SASL_PLAINTEXT);
            }
            boolean formatted = false;
            if (dataDir != null) {
                Files.createDirectories(dataDir);
                nodes.setBaseDirectory(dataDir).setClusterId(PERSISTENT_CLUSTER_ID);
                try (var entries = Files.list(dataDir)) {
                    formatted = entries.findAny().isPresent();
                }
            }
            KafkaClusterTestKit.Builder builder = new KafkaClusterTestKit.Builder(nodes.build());
            if (secure != null) {
                secureListenerConfig(secure).forEach(builder::setConfigProp);
            }
            cluster =
                    builder
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
                formatQuietly(cluster);
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
        EmbeddedKraftCluster started = new EmbeddedKraftCluster(cluster, secure);
        LOG.info(
                "embedded KRaft broker ready bootstrap={} dataDir={} startupMs={}",
                started.bootstrapServers,
                dataDir == null ? "(temporary)" : dataDir,
                (System.nanoTime() - t0) / 1_000_000);
        return started;
    }

    private static final String SECURE_LISTENER = "SECURE";

    private static Map<String, String> secureListenerConfig(SaslSslListener secure) {
        String prefix = "listener.name." + SECURE_LISTENER.toLowerCase(Locale.ROOT) + ".";
        Map<String, String> c = new LinkedHashMap<>();
        c.put("listener.security.protocol.map", SECURE_LISTENER + ":SASL_SSL,CONTROLLER:PLAINTEXT");
        c.put("sasl.enabled.mechanisms", "SCRAM-SHA-512,PLAIN");
        c.put("sasl.mechanism.inter.broker.protocol", "PLAIN");
        c.put(
                prefix + "plain.sasl.jaas.config",
                "org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
                        + secure.adminUser()
                        + "\" password=\""
                        + secure.adminPassword()
                        + "\" user_"
                        + secure.adminUser()
                        + "=\""
                        + secure.adminPassword()
                        + "\";");
        c.put(
                prefix + "scram-sha-512.sasl.jaas.config",
                "org.apache.kafka.common.security.scram.ScramLoginModule required;");
        c.put("ssl.keystore.type", "PKCS12");
        c.put("ssl.keystore.location", secure.keyStore().toString());
        c.put("ssl.keystore.password", secure.keyStorePassword());
        c.put("ssl.key.password", secure.keyStorePassword());
        c.put("ssl.truststore.type", "PEM");
        c.put("ssl.truststore.location", secure.trustStorePem().toString());
        c.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
        c.put("allow.everyone.if.no.acl.found", "false");
        // The controller listener is plaintext inside this JVM; its peer, the broker, is ANONYMOUS.
        c.put("super.users", "User:" + secure.adminUser() + ";User:ANONYMOUS");
        return c;
    }

    /** On a SASL_SSL cluster: the super user's connection (SASL PLAIN over TLS). */
    @Override
    public Properties clientProperties() {
        Properties props = KafkaCluster.super.clientProperties();
        if (secure != null) {
            props.put("security.protocol", "SASL_SSL");
            props.put("sasl.mechanism", "PLAIN");
            props.put(
                    "sasl.jaas.config",
                    "org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
                            + secure.adminUser()
                            + "\" password=\""
                            + secure.adminPassword()
                            + "\";");
            props.put("ssl.truststore.type", "PEM");
            props.put("ssl.truststore.location", secure.trustStorePem().toString());
        }
        return props;
    }

    /** Creates (or replaces) a SCRAM-SHA-512 user; needs a cluster started with SASL_SSL. */
    public void createScramUser(String user, String password) {
        try (Admin admin = admin()) {
            admin.alterUserScramCredentials(
                            List.of(
                                    new UserScramCredentialUpsertion(
                                            user,
                                            new ScramCredentialInfo(
                                                    ScramMechanism.SCRAM_SHA_512, 8192),
                                            password)))
                    .all()
                    .get(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating SCRAM user " + user, e);
        } catch (Exception e) {
            throw new IllegalStateException("could not create SCRAM user " + user, e);
        }
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

    /**
     * Kafka's storage formatter prints its bootstrap metadata and "Formatting metadata directory"
     * to standard output, which would land in the middle of the demo's own output. It runs once,
     * before the broker or any client thread exists, so standard output is captured for its
     * duration and shown only if formatting fails.
     */
    private static void formatQuietly(KafkaClusterTestKit cluster) throws Exception {
        java.io.PrintStream out = System.out;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setOut(
                new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            cluster.format();
        } catch (Exception e) {
            out.print(captured.toString(java.nio.charset.StandardCharsets.UTF_8));
            throw e;
        } finally {
            System.setOut(out);
        }
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
