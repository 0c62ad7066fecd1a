package io.sidstream.retrieval;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sidstream.contracts.Topics;
import io.sidstream.localkafka.KafkaCluster;
import io.sidstream.model.bundle.ModelBundle;
import io.sidstream.model.onnx.ExecutionProvider;
import io.sidstream.platform.kafka.TopicAdmin;
import io.sidstream.retrieval.batch.MicroBatcher;
import io.sidstream.retrieval.beam.BeamSearch;
import io.sidstream.retrieval.beam.LogitsFn;
import io.sidstream.retrieval.beam.SidTrie;
import io.sidstream.retrieval.beam.TokenLayout;
import io.sidstream.retrieval.http.IngestHistoryClient;
import io.sidstream.retrieval.kafka.RequestLoop;
import io.sidstream.retrieval.onnx.DecoderLogits;
import io.sidstream.retrieval.onnx.DecoderSession;
import io.sidstream.retrieval.request.RequestTranslator;
import io.sidstream.schemas.v1.Recommendations;
import io.sidstream.schemas.v1.RetrievalRequest;
import io.sidstream.testkit.kafka.KafkaClusterExtension;
import io.sidstream.testkit.kafka.TopicReader;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Kafka request loop on a real broker and the default bundle's real decoder: a request sent
 * twice in a row, so that both copies arrive in one polled batch, is answered once.
 */
@Tag("integration")
@Timeout(300)
@ExtendWith(KafkaClusterExtension.class)
class RequestLoopIT {
    private static final Path BUNDLE = Path.of("..").resolve(ModelBundle.DEFAULT_DIRECTORY);

    @Test
    void shouldAnswerARequestSentTwiceInOneBatchOnce(KafkaCluster cluster) throws Exception {
        try (var admin = cluster.admin()) {
            TopicAdmin.createMissing(
                    admin,
                    List.of(
                            Topics.RETRIEVAL_REQUESTS.toNewTopic(2, (short) 1),
                            Topics.RECOMMENDATIONS.toNewTopic(2, (short) 1),
                            Topics.RETRIEVAL_REQUESTS_DLQ.toNewTopic(1, (short) 1)));
        }
        // The broker is shared with other tests: this loop starts after their requests, and
        // this test's request ids are its own.
        String group = KafkaCluster.uniqueName("request-loop-it");
        startAtEnd(cluster, group);
        String run = group + "-";
        ModelBundle bundle = ModelBundle.load(BUNDLE);
        Map<String, List<Integer>> sids = bundle.trainerItemSids();
        TokenLayout layout = DecoderLogits.layoutOf(bundle.manifest());
        int levels = layout.levels();
        int codebook = bundle.manifest().sid().codebookSize();
        SidTrie trie = new SidTrie(levels, codebook);
        sids.forEach((id, sid) -> trie.put(id, sid.stream().mapToInt(Integer::intValue).toArray()));
        List<String> history = sids.keySet().stream().sorted().limit(3).toList();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        RetrievalMetrics metrics = new RetrievalMetrics(registry);

        try (DecoderSession session = DecoderSession.open(bundle, ExecutionProvider.CPU, 1)) {
            LogitsFn decoder = new DecoderLogits(session);
            try (MicroBatcher batcher =
                            new MicroBatcher(
                                    new BeamSearch(
                                            decoder,
                                            layout,
                                            bundle.manifest().decoder().maxHistoryItems()),
                                    trie,
                                    32,
                                    Duration.ofMillis(5),
                                    metrics);
                    RequestLoop loop =
                            new RequestLoop(
                                    cluster.clientProperties(),
                                    group,
                                    batcher,
                                    new RequestTranslator(
                                            levels,
                                            codebook,
                                            32,
                                            1024,
                                            100,
                                            // Every request carries its history: never called.
                                            new IngestHistoryClient("http://localhost:9")),
                                    bundle.version(),
                                    metrics);
                    var producer =
                            new KafkaProducer<>(
                                    cluster.clientProperties(),
                                    Topics.RETRIEVAL_REQUESTS.keySerde().serializer(),
                                    Topics.RETRIEVAL_REQUESTS.valueSerde().serializer())) {
                // Both copies are on the topic before the loop reads it: one poll takes them.
                send(producer, run + "twice", history, sids);
                send(producer, run + "twice", history, sids);
                send(producer, run + "last", history, sids);
                loop.start();
                List<Recommendations> results = new ArrayList<>();
                DecoderSwapIT.awaitTrue(
                        () -> {
                            results.clear();
                            results.addAll(
                                    TopicReader.readAll(
                                                    cluster,
                                                    Topics.RECOMMENDATIONS.name(),
                                                    Topics.RECOMMENDATIONS
                                                            .keySerde()
                                                            .deserializer(),
                                                    Topics.RECOMMENDATIONS
                                                            .valueSerde()
                                                            .deserializer(),
                                                    Duration.ofSeconds(5))
                                            .stream()
                                            .map(r -> r.value())
                                            .toList());
                            results.removeIf(r -> !r.getRequestId().toString().startsWith(run));
                            return results.stream()
                                    .anyMatch(
                                            r -> r.getRequestId().toString().equals(run + "last"));
                        },
                        "the last request answered");
                assertThat(results)
                        .extracting(r -> r.getRequestId().toString())
                        .containsExactlyInAnyOrder(run + "twice", run + "last");
                assertThat(count(registry, "sidstream.retrieval.requests.duplicate"))
                        .isEqualTo(1.0);
                for (Recommendations r : results) {
                    assertThat(r.getCandidates())
                            .isNotEmpty()
                            .allSatisfy(
                                    c -> {
                                        assertThat(sids).containsEntry(c.getItemId(), c.getSid());
                                        assertThat(history).doesNotContain(c.getItemId());
                                    });
                }
                assertThat(loop.alive()).isTrue();
            }
        }
    }

    private static void send(
            KafkaProducer<String, RetrievalRequest> producer,
            String id,
            List<String> history,
            Map<String, List<Integer>> sids)
            throws Exception {
        producer.send(
                        new ProducerRecord<>(
                                Topics.RETRIEVAL_REQUESTS.name(),
                                "u1",
                                RetrievalIT.request(id, history, sids, 32)))
                .get(30, TimeUnit.SECONDS);
    }

    /** Commits the group's offsets at the request topic's end. */
    private static void startAtEnd(KafkaCluster cluster, String group) {
        Properties props = cluster.clientProperties();
        props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        try (var consumer =
                new KafkaConsumer<>(
                        props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions =
                    consumer.partitionsFor(Topics.RETRIEVAL_REQUESTS.name()).stream()
                            .map(p -> new TopicPartition(p.topic(), p.partition()))
                            .toList();
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            Map<TopicPartition, OffsetAndMetadata> end = new HashMap<>();
            partitions.forEach(tp -> end.put(tp, new OffsetAndMetadata(consumer.position(tp))));
            consumer.commitSync(end);
        }
    }

    private static double count(SimpleMeterRegistry registry, String name) {
        return registry.find(name).counters().stream().mapToDouble(c -> c.count()).sum();
    }
}
