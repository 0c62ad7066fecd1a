package io.sidstream.retrieval;

import io.sidstream.contracts.Topics;
import io.sidstream.localkafka.EmbeddedKraftCluster;
import io.sidstream.localkafka.KafkaCluster;
import io.sidstream.model.bundle.ModelBundle;
import io.sidstream.platform.kafka.TopicAdmin;
import io.sidstream.retrieval.http.RetrievalClient;
import io.sidstream.schemas.v1.InteractionEvent;
import io.sidstream.schemas.v1.InteractionType;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The live popularity prior end to end: interactions on {@code users.events.v1} move what the beam
 * search returns for an unchanged history, within seconds, and a newly listed item that people
 * start watching enters the top 10 (fresh-item slots off, so only the prior can do it); searched
 * level by level and as one graph call per batch, where the live prior goes in as the graph's
 * per-node bias.
 */
@Tag("integration")
@Timeout(300)
class LivePopularityIT {
    static final Path BUNDLE = Path.of("..").resolve(ModelBundle.DEFAULT_DIRECTORY);

    @ParameterizedTest(name = "SIDSTREAM_RETRIEVAL_SEARCH_GRAPH={0}")
    @ValueSource(strings = {"off", "on"})
    void shouldRaiseWhatPeopleWatchNowIncludingANewlyListedItem(String searchGraph)
            throws Exception {
        // A broker of its own: its interactions and results must not reach the other ITs of this
        // module, which share topics of fixed names on the run-wide broker.
        try (EmbeddedKraftCluster cluster = EmbeddedKraftCluster.start()) {
            run(cluster, searchGraph);
        }
    }

    private static void run(KafkaCluster cluster, String searchGraph) throws Exception {
        try (var admin = cluster.admin()) {
            TopicAdmin.createMissing(
                    admin,
                    List.of(
                            Topics.ITEM_SIDS.toNewTopic(2, (short) 1),
                            Topics.INTERACTIONS.toNewTopic(2, (short) 1),
                            Topics.RETRIEVAL_REQUESTS.toNewTopic(2, (short) 1),
                            Topics.RECOMMENDATIONS.toNewTopic(2, (short) 1),
                            Topics.RETRIEVAL_REQUESTS_DLQ.toNewTopic(1, (short) 1)));
        }
        ModelBundle bundle = ModelBundle.load(BUNDLE);
        Map<String, List<Integer>> sids = new HashMap<>(bundle.trainerItemSids());
        // A newly listed item in an existing neighbourhood: a free collision code under the
        // prefix of some catalog item.
        List<Integer> neighbour = sids.values().iterator().next();
        Set<Integer> used = new HashSet<>();
        sids.values().stream()
                .filter(s -> s.subList(0, 3).equals(neighbour.subList(0, 3)))
                .forEach(s -> used.add(s.get(3)));
        int collision = 0;
        while (used.contains(collision)) {
            collision++;
        }
        List<Integer> freshSid = new ArrayList<>(neighbour.subList(0, 3));
        freshSid.add(collision);
        String fresh = "fresh-" + System.nanoTime();
        Map<String, List<Integer>> catalog = new HashMap<>(sids);
        catalog.put(fresh, freshSid);
        RetrievalIT.publishSids(cluster, sids);
        Map<String, String> env = new HashMap<>();
        env.put("SIDSTREAM_BOOTSTRAP_SERVERS", cluster.bootstrapServers());
        env.put("SIDSTREAM_RETRIEVAL_APPLICATION_ID", KafkaCluster.uniqueName("prior-it"));
        env.put("SIDSTREAM_BUNDLE_DIR", BUNDLE.toString());
        env.put("SIDSTREAM_RETRIEVAL_HTTP_PORT", "0");
        env.put("SIDSTREAM_FRESH_ITEM_PERCENT", "0");
        env.put("SIDSTREAM_RETRIEVAL_SEARCH_GRAPH", searchGraph);
        try (RetrievalService service =
                RetrievalService.start(RetrievalConfig.fromEnv(env), Duration.ofMinutes(1))) {
            RetrievalClient client = new RetrievalClient("http://localhost:" + service.httpPort());
            List<String> history = sids.keySet().stream().sorted().limit(5).toList();
            RetrievalClient.Query query = RetrievalClient.Query.forItems("u-prior", history, 10);
            List<String> before = client.recommend(query).itemIds();
            assertThat(before).hasSize(10).doesNotContain(fresh);
            // An older catalog item the decoder does not put in this user's top 10.
            String hot =
                    sids.keySet().stream()
                            .sorted()
                            .filter(i -> !before.contains(i) && !history.contains(i))
                            .skip(100)
                            .findFirst()
                            .orElseThrow();
            // The new item's first viewers come before its SID, as they race its assignment.
            watch(cluster, List.of(hot, fresh), 200);
            RetrievalIT.publishSids(cluster, Map.of(fresh, freshSid));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            List<String> after = before;
            while (System.nanoTime() < deadline
                    && !(after.contains(hot) && after.contains(fresh))) {
                Thread.sleep(200);
                after = client.recommend(query).itemIds();
            }
            assertThat(after).contains(hot, fresh).doesNotContainAnyElementsOf(history);
            assertThat(after).allSatisfy(i -> assertThat(catalog).containsKey(i));
            String batchesOf =
                    "sidstream_retrieval_bundle_search_latency_seconds_count{bundle=\""
                            + bundle.version()
                            + "\",engine=\"";
            String metrics = RetrievalIT.metricsOf(service);
            double graphBatches = sum(metrics, batchesOf + "graph\",role=\"live\"");
            double levelBatches = sum(metrics, batchesOf + "levels\",role=\"live\"");
            double calls = sum(metrics, "sidstream_retrieval_decoder_calls_total");
            assertThat(sum(metrics, "sidstream_retrieval_decoder_input_bytes_total")).isPositive();
            assertThat(sum(metrics, "sidstream_retrieval_decoder_output_bytes_total")).isPositive();
            if (searchGraph.equals("on")) {
                // One ONNX Runtime call per batch.
                assertThat(graphBatches).isPositive();
                assertThat(levelBatches).isZero();
                assertThat(calls).isEqualTo(graphBatches);
            } else {
                // The history encode, then a call per level.
                assertThat(graphBatches).isZero();
                assertThat(levelBatches).isPositive();
                assertThat(calls).isGreaterThanOrEqualTo(2 * levelBatches);
            }
        }
    }

    /** The sum of the samples of the Prometheus series starting with {@code prefix}. */
    private static double sum(String metrics, String prefix) {
        return metrics.lines()
                .filter(l -> l.startsWith(prefix))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .sum();
    }

    /** {@code perItem} interactions with each item, by different users, now. */
    private static void watch(KafkaCluster cluster, List<String> items, int perItem) {
        try (var producer =
                new KafkaProducer<>(
                        cluster.clientProperties(),
                        Topics.INTERACTIONS.keySerde().serializer(),
                        Topics.INTERACTIONS.valueSerde().serializer())) {
            for (String item : items) {
                for (int i = 0; i < perItem; i++) {
                    String user = "viewer-" + i;
                    producer.send(
                            new ProducerRecord<>(
                                    Topics.INTERACTIONS.name(),
                                    user,
                                    InteractionEvent.newBuilder()
                                            .setEventId(item + "-" + i)
                                            .setUserId(user)
                                            .setItemId(item)
                                            .setEventType(InteractionType.VIEW)
                                            .setEventTime(Instant.now())
                                            .build()));
                }
            }
            producer.flush();
        }
    }
}
