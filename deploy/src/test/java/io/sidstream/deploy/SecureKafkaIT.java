package io.sidstream.deploy;

import io.fabric8.kubernetes.api.model.Container;
import io.sidstream.contracts.Topics;
import io.sidstream.datasets.CatalogItem;
import io.sidstream.datasets.Datasets;
import io.sidstream.ingest.IngestConfig;
import io.sidstream.ingest.IngestService;
import io.sidstream.ingest.IngestSetting;
import io.sidstream.localkafka.EmbeddedKraftCluster;
import io.sidstream.localkafka.KafkaCluster;
import io.sidstream.platform.kafka.TopicAdmin;
import io.sidstream.retrieval.RetrievalConfig;
import io.sidstream.retrieval.RetrievalService;
import io.sidstream.retrieval.RetrievalSetting;
import io.sidstream.schemas.v1.HistoryEntry;
import io.sidstream.schemas.v1.ItemEvent;
import io.sidstream.schemas.v1.ItemSid;
import io.sidstream.schemas.v1.Recommendations;
import io.sidstream.schemas.v1.RetrievalRequest;
import io.sidstream.testkit.kafka.TopicReader;
import io.sidstream.testkit.tls.SelfSignedTls;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The production Kafka path, end to end: a broker whose only client listener is SASL_SSL
 * (SCRAM-SHA-512 over TLS, PEM trust store) and whose authorizer denies what no ACL allows. Both
 * services run as the user of {@code k8s/base/kafka/user.yaml}, with exactly its ACLs, and with the
 * Kafka settings of the rendered manifests (the ConfigMap's {@code SIDSTREAM_KAFKA_*} keys plus the
 * JAAS line Strimzi puts in the user's Secret), passed through {@code SIDSTREAM_KAFKA_*}. Items get
 * SIDs and a Kafka request gets its result; a user without ACLs is refused, so the broker really
 * enforces them.
 */
@Tag("integration")
@Timeout(600)
class SecureKafkaIT {
    static final Path BUNDLE = ManifestsTest.REPO.resolve("models/default");
    static final int ITEMS = 12;

    @Test
    void servicesRunAsTheManifestsKafkaUserOverSaslSslWithOnlyItsAcls(@TempDir Path dir)
            throws Exception {
        SelfSignedTls tls = SelfSignedTls.create(dir.resolve("tls"));
        try (EmbeddedKraftCluster cluster =
                EmbeddedKraftCluster.startSaslSsl(
                        new EmbeddedKraftCluster.SaslSslListener(
                                tls.keyStore(),
                                tls.password(),
                                tls.certificatePem(),
                                "admin",
                                "admin-secret"))) {
            try (Admin admin = cluster.admin()) {
                // What Strimzi's topic operator creates from k8s/base/kafka/topics.yaml.
                TopicAdmin.createMissing(
                        admin, Topics.all().stream().map(t -> t.toNewTopic(2, (short) 1)).toList());
                admin.createAcls(kafkaUserAcls("sidstream")).all().get(60, TimeUnit.SECONDS);
            }
            cluster.createScramUser("sidstream", "sidstream-secret");
            cluster.createScramUser("intruder", "intruder-secret");

            ManifestsTest.Rendered rendered = ManifestsTest.render("cpu");
            Map<String, String> ingestEnv =
                    serviceEnv(rendered, ManifestsTest.INGEST_MAIN, cluster, tls, "sidstream");
            ingestEnv.put(IngestSetting.STATE_DIR.key(), dir.resolve("state").toString());
            ingestEnv.put(IngestSetting.HTTP_PORT.key(), "0");
            ingestEnv.put("SIDSTREAM_MODEL_THREADS", "1");
            List<CatalogItem> catalog =
                    Datasets.readCatalog(
                                    ManifestsTest.REPO.resolve(
                                            "data/movietweetings-100k/movies.dat"))
                            .subList(0, ITEMS);
            produceItems(cluster, catalog);
            try (IngestService ingest =
                    IngestService.start(IngestConfig.fromEnv(ingestEnv), Duration.ofMinutes(3))) {
                List<ConsumerRecord<String, ItemSid>> sids =
                        TopicReader.readAtLeast(
                                cluster,
                                Topics.ITEM_SIDS.name(),
                                new StringDeserializer(),
                                Topics.ITEM_SIDS.valueSerde().deserializer(),
                                ITEMS,
                                Duration.ofMinutes(4));
                Map<String, List<Integer>> sidOf = new LinkedHashMap<>();
                sids.forEach(r -> sidOf.put(r.key(), r.value().getSid()));
                assertThat(sidOf.keySet())
                        .containsExactlyInAnyOrderElementsOf(
                                catalog.stream().map(CatalogItem::itemId).toList());

                Map<String, String> retrievalEnv =
                        serviceEnv(
                                rendered, ManifestsTest.RETRIEVAL_MAIN, cluster, tls, "sidstream");
                retrievalEnv.put(RetrievalSetting.HTTP_PORT.key(), "0");
                retrievalEnv.put(
                        RetrievalSetting.INGEST_URL.key(), "http://localhost:" + ingest.httpPort());
                try (RetrievalService retrieval =
                        RetrievalService.start(
                                RetrievalConfig.fromEnv(retrievalEnv), Duration.ofMinutes(2))) {
                    String requestId = "secure-" + System.nanoTime();
                    produceRequest(cluster, requestId, new ArrayList<>(sidOf.entrySet()));
                    Recommendations answer = resultOf(cluster, requestId);
                    assertThat(answer.getCandidates()).isNotEmpty();
                    assertThat(answer.getCandidates())
                            .allSatisfy(c -> assertThat(sidOf).containsKey(c.getItemId()));
                }
            }

            // The same broker refuses a user the ACLs do not name: the success above is the
            // ACLs' doing, not an open broker's.
            Properties intruder = userProperties(cluster, tls, "intruder", "intruder-secret");
            intruder.put(ConsumerConfig.GROUP_ID_CONFIG, "sidstream-ingest-intruder");
            try (KafkaConsumer<String, String> c =
                    new KafkaConsumer<>(
                            intruder, new StringDeserializer(), new StringDeserializer())) {
                c.assign(List.of(new TopicPartition(Topics.ITEM_SIDS.name(), 0)));
                c.seekToBeginning(c.assignment());
                assertThatThrownBy(() -> c.poll(Duration.ofSeconds(20)))
                        .isInstanceOf(TopicAuthorizationException.class);
            }
        }
    }

    /** The KafkaUser's Strimzi ACLs as Kafka ACL bindings for {@code user}. */
    static List<AclBinding> kafkaUserAcls(String user) {
        CrdModels.KafkaUser kafkaUser =
                ManifestsTest.render("cpu").all(CrdModels.KafkaUser.class).stream()
                        .filter(u -> u.metadata().name().equals(user))
                        .findFirst()
                        .orElseThrow();
        List<AclBinding> bindings = new ArrayList<>();
        for (CrdModels.Acl acl : kafkaUser.spec().authorization().acls()) {
            ResourceType type =
                    switch (acl.resource().type()) {
                        case "topic" -> ResourceType.TOPIC;
                        case "group" -> ResourceType.GROUP;
                        case "transactionalId" -> ResourceType.TRANSACTIONAL_ID;
                        default -> ResourceType.CLUSTER;
                    };
            PatternType pattern =
                    "prefix".equals(acl.resource().patternType())
                            ? PatternType.PREFIXED
                            : PatternType.LITERAL;
            String name = type == ResourceType.CLUSTER ? "kafka-cluster" : acl.resource().name();
            for (String op : acl.operations()) {
                AclOperation operation =
                        AclOperation.fromString(
                                op.replaceAll("([a-z])([A-Z])", "$1_$2").toUpperCase(Locale.ROOT));
                bindings.add(
                        new AclBinding(
                                new ResourcePattern(type, name, pattern),
                                new AccessControlEntry(
                                        "User:" + user, "*", operation, AclPermissionType.ALLOW)));
            }
        }
        return bindings;
    }

    /**
     * The environment the manifests give the service's container, with the cluster's address, this
     * test's CA file, the Secret's JAAS line for {@code user} and a local bundle.
     */
    private static Map<String, String> serviceEnv(
            ManifestsTest.Rendered rendered,
            String main,
            EmbeddedKraftCluster cluster,
            SelfSignedTls tls,
            String user) {
        Container container =
                ManifestsTest.workloads(rendered).values().stream()
                        .flatMap(t -> t.getSpec().getContainers().stream())
                        .filter(c -> ManifestsTest.mainClass(c).equals(main))
                        .findFirst()
                        .orElseThrow();
        Map<String, String> manifest = ManifestsTest.environment(rendered, container);
        Map<String, String> env = new HashMap<>();
        manifest.forEach(
                (key, value) -> {
                    if (key.startsWith("SIDSTREAM_KAFKA_")
                            || key.endsWith("_APPLICATION_ID")
                            || key.equals("SIDSTREAM_BOOTSTRAP_SERVERS")) {
                        // What Kubernetes expands from the pod's fields.
                        env.put(
                                key,
                                value.replace("$(POD_NAME)", "pod-0")
                                        .replace("$(POD_NAMESPACE)", "default"));
                    }
                });
        assertThat(env)
                .containsEntry("SIDSTREAM_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
                .containsEntry("SIDSTREAM_KAFKA_SASL_JAAS_CONFIG", "<secret sidstream>");
        env.put("SIDSTREAM_BOOTSTRAP_SERVERS", cluster.bootstrapServers());
        env.put("SIDSTREAM_KAFKA_SSL_TRUSTSTORE_LOCATION", tls.certificatePem().toString());
        env.put("SIDSTREAM_KAFKA_SASL_JAAS_CONFIG", scramJaas(user, "sidstream-secret"));
        env.put("SIDSTREAM_BUNDLE_DIR", BUNDLE.toString());
        env.put("SIDSTREAM_EXECUTION_PROVIDER", "cpu");
        return env;
    }

    /** What Strimzi's user operator writes under {@code sasl.jaas.config} in the user's Secret. */
    private static String scramJaas(String user, String password) {
        return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
                + user
                + "\" password=\""
                + password
                + "\";";
    }

    private static Properties userProperties(
            KafkaCluster cluster, SelfSignedTls tls, String user, String password) {
        Properties p = new Properties();
        p.put("bootstrap.servers", cluster.bootstrapServers());
        p.put("security.protocol", "SASL_SSL");
        p.put("sasl.mechanism", "SCRAM-SHA-512");
        p.put("sasl.jaas.config", scramJaas(user, password));
        p.put("ssl.truststore.type", "PEM");
        p.put("ssl.truststore.location", tls.certificatePem().toString());
        return p;
    }

    private static void produceRequest(
            KafkaCluster cluster, String requestId, List<Map.Entry<String, List<Integer>>> sids) {
        List<HistoryEntry> history = new ArrayList<>();
        for (var e : sids.subList(0, 3)) {
            history.add(new HistoryEntry(e.getKey(), e.getValue(), Instant.EPOCH));
        }
        try (var producer =
                new KafkaProducer<>(
                        cluster.clientProperties(),
                        Topics.RETRIEVAL_REQUESTS.keySerde().serializer(),
                        Topics.RETRIEVAL_REQUESTS.valueSerde().serializer())) {
            producer.send(
                    new ProducerRecord<>(
                            Topics.RETRIEVAL_REQUESTS.name(),
                            "u-secure",
                            RetrievalRequest.newBuilder()
                                    .setRequestId(requestId)
                                    .setUserId("u-secure")
                                    .setHistory(history)
                                    .setNumCandidates(5)
                                    .setBeamWidth(16)
                                    .setRequestedAt(Instant.now())
                                    .build()));
            producer.flush();
        }
    }

    private static Recommendations resultOf(KafkaCluster cluster, String requestId) {
        return TopicReader.readAtLeast(
                        cluster,
                        Topics.RECOMMENDATIONS.name(),
                        Topics.RECOMMENDATIONS.keySerde().deserializer(),
                        Topics.RECOMMENDATIONS.valueSerde().deserializer(),
                        1,
                        Duration.ofMinutes(2))
                .stream()
                .map(ConsumerRecord::value)
                .filter(r -> r.getRequestId().equals(requestId))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no result for " + requestId));
    }

    private static void produceItems(KafkaCluster cluster, List<CatalogItem> catalog) {
        try (var producer =
                new KafkaProducer<>(
                        cluster.clientProperties(),
                        Topics.ITEMS.keySerde().serializer(),
                        Topics.ITEMS.valueSerde().serializer())) {
            for (CatalogItem item : catalog) {
                ItemEvent listed =
                        ItemEvent.newBuilder()
                                .setItemId(item.itemId())
                                .setTitle(item.title())
                                .setCategories(item.categories())
                                .setEventTime(Instant.parse("2013-03-01T00:00:00Z"))
                                .build();
                producer.send(new ProducerRecord<>(Topics.ITEMS.name(), item.itemId(), listed));
            }
            producer.flush();
        }
    }
}
