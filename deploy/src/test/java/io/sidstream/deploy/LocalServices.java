package io.sidstream.deploy;

import io.sidstream.contracts.Topics;
import io.sidstream.ingest.IngestConfig;
import io.sidstream.ingest.IngestService;
import io.sidstream.ingest.IngestSetting;
import io.sidstream.localkafka.KafkaCluster;
import io.sidstream.platform.kafka.TopicAdmin;
import io.sidstream.retrieval.RetrievalConfig;
import io.sidstream.retrieval.RetrievalService;
import io.sidstream.retrieval.RetrievalSetting;
import org.apache.kafka.clients.admin.Admin;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/** Both services in this JVM against a test broker, with the repository's default bundle. */
final class LocalServices {
    private LocalServices() {}

    static void createTopics(KafkaCluster cluster, int partitions) throws Exception {
        try (Admin admin = cluster.admin()) {
            TopicAdmin.createMissing(
                    admin,
                    Topics.all().stream().map(t -> t.toNewTopic(partitions, (short) 1)).toList());
        }
    }

    /** ingest-stream with its state under {@code dir}, plus {@code extra} settings. */
    static IngestService ingest(KafkaCluster cluster, Path dir, Map<String, String> extra) {
        Map<String, String> env = new HashMap<>(extra);
        env.put(IngestSetting.BOOTSTRAP_SERVERS.key(), cluster.bootstrapServers());
        env.put(IngestSetting.BUNDLE_DIR.key(), bundle());
        env.put(IngestSetting.STATE_DIR.key(), dir.resolve("state").toString());
        env.put(IngestSetting.HTTP_PORT.key(), "0");
        env.put(IngestSetting.MODEL_THREADS.key(), "1");
        return IngestService.start(IngestConfig.fromEnv(env), Duration.ofMinutes(3));
    }

    /** retrieval-server reading histories from {@code ingest}, plus {@code extra} settings. */
    static RetrievalService retrieval(
            KafkaCluster cluster, IngestService ingest, Map<String, String> extra)
            throws InterruptedException {
        Map<String, String> env = new HashMap<>(extra);
        env.put(RetrievalSetting.BOOTSTRAP_SERVERS.key(), cluster.bootstrapServers());
        env.put(RetrievalSetting.BUNDLE_DIR.key(), bundle());
        env.put(RetrievalSetting.EXECUTION_PROVIDER.key(), "cpu");
        env.put(RetrievalSetting.HTTP_PORT.key(), "0");
        env.put(RetrievalSetting.INGEST_URL.key(), "http://localhost:" + ingest.httpPort());
        return RetrievalService.start(RetrievalConfig.fromEnv(env), Duration.ofMinutes(2));
    }

    private static String bundle() {
        return ManifestsTest.REPO.resolve("models/default").toString();
    }
}
