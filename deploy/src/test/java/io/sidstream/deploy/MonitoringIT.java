package io.sidstream.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.sidstream.contracts.Topics;
import io.sidstream.datasets.CatalogItem;
import io.sidstream.datasets.Datasets;
import io.sidstream.ingest.IngestService;
import io.sidstream.localkafka.EmbeddedKraftCluster;
import io.sidstream.retrieval.RetrievalService;
import io.sidstream.schemas.v1.InteractionEvent;
import io.sidstream.schemas.v1.InteractionType;
import io.sidstream.schemas.v1.ItemEvent;
import io.sidstream.testkit.kafka.TopicReader;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What an operator scrapes is what the shipped dashboard and alerts read: both services run on a
 * real broker with items and interactions flowing, their {@code /metrics} are scraped, and every
 * metric named by {@code k8s/base/monitoring/prometheusrule.yaml} and {@code
 * k8s/monitoring/grafana-dashboard.json} must be in a scrape; every metric has help text; the
 * user-history meters count what happened.
 */
@Tag("integration")
@Timeout(600)
class MonitoringIT {
    static final Path REPO = ManifestsTest.REPO;
    static final Path RULES = REPO.resolve("k8s/base/monitoring/prometheusrule.yaml");
    static final Path DASHBOARD = REPO.resolve("k8s/monitoring/grafana-dashboard.json");
    static final int ITEMS = 10;

    @Test
    void theShippedDashboardAndAlertsNameOnlyMetricsTheServicesExport(@TempDir Path dir)
            throws Exception {
        Map<String, String> scrapes = new HashMap<>();
        try (EmbeddedKraftCluster cluster = EmbeddedKraftCluster.start()) {
            LocalServices.createTopics(cluster, 2);
            List<CatalogItem> catalog =
                    Datasets.readCatalog(REPO.resolve("data/movietweetings-100k/movies.dat"))
                            .subList(0, ITEMS);
            produce(cluster, catalog);
            try (IngestService ingest = LocalServices.ingest(cluster, dir, Map.of())) {
                TopicReader.readAtLeast(
                        cluster,
                        Topics.ITEM_SIDS.name(),
                        new StringDeserializer(),
                        Topics.ITEM_SIDS.valueSerde().deserializer(),
                        ITEMS,
                        Duration.ofMinutes(4));
                try (RetrievalService retrieval =
                        LocalServices.retrieval(cluster, ingest, Map.of())) {
                    interact(cluster, "u1", catalog.subList(0, 3));
                    // Each interaction raises a Kafka request: wait until one was answered.
                    TopicReader.readAtLeast(
                            cluster,
                            Topics.RECOMMENDATIONS.name(),
                            new StringDeserializer(),
                            Topics.RECOMMENDATIONS.valueSerde().deserializer(),
                            1,
                            Duration.ofMinutes(2));
                    scrapes.put("ingest", scrape(ingest.httpPort()));
                    scrapes.put("retrieval", scrape(retrieval.httpPort()));
                }
            }
        }
        Path out = Path.of("target", "scrapes");
        Files.createDirectories(out);
        for (Map.Entry<String, String> e : scrapes.entrySet()) {
            Files.writeString(out.resolve(e.getKey() + ".txt"), e.getValue());
        }

        Set<String> exported = new TreeSet<>();
        scrapes.values().forEach(s -> exported.addAll(seriesNames(s)));
        Set<String> named = new TreeSet<>();
        named.addAll(alertMetricNames());
        named.addAll(dashboardMetricNames());
        assertThat(named).as("metrics the dashboard and alerts read").hasSizeGreaterThan(10);
        assertThat(exported).as("exported series").containsAll(named);

        for (Map.Entry<String, String> e : scrapes.entrySet()) {
            assertThat(e.getValue().lines().filter(l -> l.startsWith("# HELP ")))
                    .as("help text of every metric of %s", e.getKey())
                    .isNotEmpty()
                    .allSatisfy(
                            l ->
                                    assertThat(l.split(" ", 4))
                                            .as(l)
                                            .hasSize(4)
                                            .satisfies(p -> assertThat(p[3]).isNotBlank()));
        }
        String ingest = scrapes.get("ingest");
        assertThat(ingest)
                .containsPattern("(?m)^sidstream_history_applied_total(\\{[^}]*\\})? [1-9]");
        assertThat(ingest).containsPattern("(?m)^sidstream_history_pending(\\{[^}]*\\})? 0");
        assertThat(ingest).contains("sidstream_history_dlq_total{reason=\"too_late\"}");
        assertThat(ingest).contains("sidstream_history_dlq_total{reason=\"sid_timeout\"}");
    }

    /** Metric names in the PromQL of every alert rule. */
    static Set<String> alertMetricNames() throws IOException {
        JsonNode rules = new YAMLMapper().readTree(RULES.toFile());
        Set<String> names = new TreeSet<>();
        for (JsonNode group : rules.path("spec").path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                names.addAll(metricNames(rule.path("expr").asText()));
            }
        }
        return names;
    }

    /** Metric names in the PromQL of every dashboard panel target. */
    static Set<String> dashboardMetricNames() throws IOException {
        JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
        Set<String> names = new TreeSet<>();
        for (JsonNode panel : dashboard.path("panels")) {
            for (JsonNode target : panel.path("targets")) {
                names.addAll(metricNames(target.path("expr").asText()));
            }
        }
        return names;
    }

    private static final Pattern IDENTIFIER = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Set<String> PROMQL_WORDS =
            Set.of(
                    "sum",
                    "rate",
                    "irate",
                    "increase",
                    "by",
                    "without",
                    "max",
                    "min",
                    "avg",
                    "histogram_quantile",
                    "le",
                    "topk",
                    "count",
                    "on",
                    "ignoring",
                    "and",
                    "or",
                    "unless",
                    "offset",
                    "clamp_min",
                    "clamp_max",
                    "abs",
                    "bool",
                    "vector",
                    "max_over_time",
                    "min_over_time",
                    "avg_over_time",
                    "absent",
                    "group_left",
                    "group_right",
                    "label_replace",
                    "time",
                    "deriv",
                    "delta",
                    "changes",
                    "instance",
                    "job",
                    "pod",
                    "namespace",
                    "reason",
                    "source",
                    "lane",
                    "call",
                    "topic",
                    "level",
                    "quantile",
                    "client_id",
                    "thread_id",
                    "partition",
                    "area",
                    "id",
                    "state",
                    "task_id");

    /** Identifiers of a PromQL expression outside label matchers and strings: metric names. */
    static Set<String> metricNames(String expr) {
        String bare =
                expr.replaceAll("\\{[^}]*}", " ")
                        .replaceAll("\"[^\"]*\"", " ")
                        .replaceAll("\\[[^]]*]", " ")
                        .replaceAll("\\$\\w+", " ")
                        .replaceAll("(?<![\\w:])\\d+(\\.\\d+)?([eE][-+]?\\d+)?", " ");
        Set<String> names = new TreeSet<>();
        Matcher m = IDENTIFIER.matcher(bare);
        while (m.find()) {
            String word = m.group();
            if (!PROMQL_WORDS.contains(word) && !word.matches("\\d.*")) {
                names.add(word);
            }
        }
        return names;
    }

    /** Series names of a Prometheus text scrape. */
    static Set<String> seriesNames(String scrape) {
        Set<String> names = new TreeSet<>();
        scrape.lines()
                .filter(l -> !l.startsWith("#") && !l.isBlank())
                .forEach(l -> names.add(l.split("[{ ]", 2)[0]));
        return names;
    }

    private static String scrape(int port) throws IOException, InterruptedException {
        return HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/metrics"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
    }

    private static void produce(EmbeddedKraftCluster cluster, List<CatalogItem> catalog) {
        try (var producer =
                new KafkaProducer<>(
                        cluster.clientProperties(),
                        Topics.ITEMS.keySerde().serializer(),
                        Topics.ITEMS.valueSerde().serializer())) {
            for (CatalogItem item : catalog) {
                producer.send(
                        new ProducerRecord<>(
                                Topics.ITEMS.name(),
                                item.itemId(),
                                ItemEvent.newBuilder()
                                        .setItemId(item.itemId())
                                        .setTitle(item.title())
                                        .setCategories(item.categories())
                                        .setEventTime(Instant.now())
                                        .build()));
            }
            producer.flush();
        }
    }

    private static void interact(
            EmbeddedKraftCluster cluster, String user, List<CatalogItem> items) {
        List<ProducerRecord<String, InteractionEvent>> records = new ArrayList<>();
        long now = System.currentTimeMillis();
        for (int i = 0; i < items.size(); i++) {
            records.add(
                    new ProducerRecord<>(
                            Topics.INTERACTIONS.name(),
                            user,
                            InteractionEvent.newBuilder()
                                    .setEventId(user + "-" + i)
                                    .setUserId(user)
                                    .setItemId(items.get(i).itemId())
                                    .setEventType(InteractionType.CLICK)
                                    .setEventTime(Instant.ofEpochMilli(now - 1000 + i))
                                    .build()));
        }
        try (var producer =
                new KafkaProducer<>(
                        cluster.clientProperties(),
                        Topics.INTERACTIONS.keySerde().serializer(),
                        Topics.INTERACTIONS.valueSerde().serializer())) {
            records.forEach(producer::send);
            producer.flush();
        }
    }
}
