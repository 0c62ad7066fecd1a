package io.sidstream.retrieval.kafka;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sidstream.contracts.Topics;
import io.sidstream.localkafka.KafkaCluster;
import io.sidstream.model.bundle.ModelBundle;
import io.sidstream.model.onnx.ExecutionProvider;
import io.sidstream.platform.kafka.TopicAdmin;
import io.sidstream.retrieval.RetrievalMetrics;
import io.sidstream.retrieval.batch.MicroBatcher;
import io.sidstream.retrieval.beam.BeamSearch;
import io.sidstream.retrieval.beam.LogitsFn;
import io.sidstream.retrieval.beam.SidTrie;
import io.sidstream.retrieval.beam.TokenLayout;
import io.sidstream.retrieval.http.IngestHistoryClient;
import io.sidstream.retrieval.onnx.DecoderLogits;
import io.sidstream.retrieval.onnx.DecoderSession;
import io.sidstream.retrieval.request.RequestTranslator;
import io.sidstream.schemas.v1.HistoryEntry;
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
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Kafka request loop keeps reading while a batch is searched, on a real broker and the default
 * bundle's real decoder, held at a gate during the first search: a request that arrives meanwhile
 * is taken in before the first one is answered, and each request is answered exactly once, a
 * duplicate sent while its original is still searched included.
 */
@Tag("integration")
@Timeout(300)
@ExtendWith(KafkaClusterExtension.class)
class RequestLoopIT {
    private static final Path BUNDLE = Path.of("..").resolve(ModelBundle.DEFAULT_DIRECTORY);

    /** The real decoder, whose first encode waits at a gate. */
    private static final class GatedDecoder implements LogitsFn {
        final LogitsFn real;
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch gate = new CountDownLatch(1);

        GatedDecoder(LogitsFn real) {
            this.real = real;
        }

        @Override
        public int codebookSize() {
            return real.codebookSize();
        }

        @Override
        public Encoded encode(long[][] historyTokens) {
            entered.countDown();
            try {
                gate.await(180, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return real.encode(historyTokens);
        }
    }

    @Test
    void shouldReadNewRequestsWhileABatchIsSearchedAndAnswerEachOnce(KafkaCluster cluster)
            throws Exception {
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
            GatedDecoder decoder = new GatedDecoder(new DecoderLogits(session));
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
                loop.start();
                try {
                    held(decoder, producer, registry, run, history, sids);
                } finally {
                    decoder.gate.countDown();
                }

                send(producer, run + "last", history, sids);
                List<Recommendations> results = new ArrayList<>();
                awaitTrue(
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
                        .containsExactlyInAnyOrder(run + "first", run + "second", run + "last");
                Recommendations first = byId(results, run + "first");
                Recommendations second = byId(results, run + "second");
                assertThat(second.getReceivedAt())
                        .as("the second request was read before the first was answered")
                        .isBefore(first.getCompletedAt());
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

    /** The first request held in its search; the second and its copy sent meanwhile. */
    private static void held(
            GatedDecoder decoder,
            KafkaProducer<String, RetrievalRequest> producer,
            SimpleMeterRegistry registry,
            String run,
            List<String> history,
            Map<String, List<Integer>> sids)
            throws Exception {
        send(producer, run + "first", history, sids);
        assertThat(decoder.entered.await(60, TimeUnit.SECONDS))
                .as("the first search started")
                .isTrue();

        // While it is held: a second request, and the same one again.
        send(producer, run + "second", history, sids);
        send(producer, run + "second", history, sids);
        awaitTrue(
                () ->
                        count(registry, "sidstream.retrieval.requests") >= 2
                                && count(registry, "sidstream.retrieval.requests.duplicate") >= 1,
                "the second request taken in and its copy recognised while the first is"
                        + " searched");
    }

    private static void send(
            KafkaProducer<String, RetrievalRequest> producer,
            String id,
            List<String> history,
            Map<String, List<Integer>> sids)
            throws Exception {
        List<HistoryEntry> entries = new ArrayList<>();
        for (String item : history) {
            entries.add(new HistoryEntry(item, sids.get(item), Instant.EPOCH));
        }
        producer.send(
                        new ProducerRecord<>(
                                Topics.RETRIEVAL_REQUESTS.name(),
                                "u1",
                                RetrievalRequest.newBuilder()
                                        .setRequestId(id)
                                        .setUserId("u1")
                                        .setHistory(entries)
                                        .setNumCandidates(10)
                                        .setBeamWidth(32)
                                        .setRequestedAt(Instant.now())
                                        .build()))
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

    private static Recommendations byId(List<Recommendations> results, String id) {
        return results.stream()
                .filter(r -> r.getRequestId().toString().equals(id))
                .findFirst()
                .orElseThrow();
    }

    private static double count(SimpleMeterRegistry registry, String name) {
        return registry.find(name).counters().stream().mapToDouble(c -> c.count()).sum();
    }

    private static void awaitTrue(BooleanSupplier condition, String what) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            Thread.sleep(50);
        }
    }
}
