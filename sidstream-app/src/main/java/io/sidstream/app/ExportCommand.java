package io.sidstream.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sidstream.contracts.TopicSpec;
import io.sidstream.contracts.Topics;
import io.sidstream.datasets.CatalogItem;
import io.sidstream.schemas.v1.HistoryEntry;
import io.sidstream.schemas.v1.InteractionEvent;
import io.sidstream.schemas.v1.ItemEvent;
import io.sidstream.schemas.v1.ItemSid;
import io.sidstream.schemas.v1.UserHistory;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * {@code sidstream export-training --out DIR}: the training data of a running system, read from its
 * topics, in the formats the reference trainer reads. Retraining needs no copy of what the
 * producers once sent:
 *
 * <ul>
 *   <li>{@code DIR/catalog.jsonl}: every live item's latest accepted content, from the compacted
 *       {@code items.catalog.v1};
 *   <li>{@code DIR/interactions.jsonl}: time-ordered interactions, from the compacted {@code
 *       users.history.v1} (each user's most recent history, beyond {@code users.events.v1}'s
 *       retention) and {@code users.events.v1} (what it still holds), each interaction once;
 *   <li>{@code DIR/item_sids.tsv}: the live items' SIDs of one SID space ({@code --sid-space},
 *       default the space most live SIDs on {@code items.sid.v1} belong to), for a decoder-only
 *       retrain ({@code train.py --reuse-sids BUNDLE --item-sids FILE}) that learns the items
 *       listed since the bundle was trained;
 *   <li>{@code DIR/embeddings/}: the content embedding of every catalog item, as {@code sidstream
 *       embed} writes it, for {@code training/train.py --embeddings}: the text through the serving
 *       encoder, or the item's own vector when it was listed with one, as ingest assigns SIDs.
 * </ul>
 *
 * Reads each topic as it stands when the command starts (read_committed, to its end offsets).
 */
final class ExportCommand {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ExportCommand() {}

    static int run(List<String> args, PrintStream out) throws IOException {
        ClientCommands.useWireFormatOf(System.getenv(), false);
        Map<String, String> opts =
                ClientCommands.options(
                        args,
                        List.of(
                                "--out",
                                "--bootstrap-servers",
                                "--work-dir",
                                "--threads",
                                "--sid-space"));
        if (!opts.containsKey("--out")) {
            throw new IllegalArgumentException(
                    "usage: sidstream export-training --out DIR [--bootstrap-servers HOSTS]"
                            + " [--work-dir DIR] [--threads N] [--sid-space NAME]");
        }
        Path dir = Path.of(opts.get("--out"));
        Properties props = ClientCommands.readerProperties(opts);

        Map<String, ItemEvent> catalog = new LinkedHashMap<>();
        long undecodable = readTable(props, Topics.ITEM_CATALOG, catalog);
        Map<String, UserHistory> histories = new HashMap<>();
        undecodable += readTable(props, Topics.USER_HISTORIES, histories);
        List<InteractionEvent> recent = new ArrayList<>();
        undecodable +=
                readToEnd(
                        props,
                        Topics.INTERACTIONS,
                        (key, event) -> {
                            if (event != null) {
                                recent.add(event);
                            }
                        });
        List<Exported> interactions = merge(histories, recent);
        Map<String, ItemSid> sids = new LinkedHashMap<>();
        undecodable += readTable(props, Topics.ITEM_SIDS, sids);
        String space = opts.get("--sid-space");
        if (space == null) {
            Map<String, Long> bySpace = new HashMap<>();
            sids.values()
                    .forEach(s -> bySpace.merge(s.getModelVersion().toString(), 1L, Long::sum));
            space =
                    bySpace.entrySet().stream()
                            .max(Map.Entry.comparingByValue())
                            .map(Map.Entry::getKey)
                            .orElse(null);
        }

        Files.createDirectories(dir);
        List<CatalogItem> items = new ArrayList<>();
        Map<String, float[]> vectors = new HashMap<>();
        try (BufferedWriter w =
                Files.newBufferedWriter(dir.resolve("catalog.jsonl"), StandardCharsets.UTF_8)) {
            for (ItemEvent e : catalog.values()) {
                String id = e.getItemId().toString();
                CatalogItem item =
                        new CatalogItem(
                                id,
                                e.getTitle().toString(),
                                e.getDescription() == null ? null : e.getDescription().toString(),
                                e.getCategories().stream().map(CharSequence::toString).toList(),
                                e.getBrand() == null ? null : e.getBrand().toString());
                items.add(item);
                if (e.getEmbedding() != null) {
                    float[] v = new float[e.getEmbedding().size()];
                    for (int i = 0; i < v.length; i++) {
                        v[i] = e.getEmbedding().get(i);
                    }
                    vectors.put(id, v);
                }
                ObjectNode line = JSON.createObjectNode();
                line.put("itemId", id);
                line.put("title", item.title());
                if (item.description() != null) {
                    line.put("description", item.description());
                }
                line.putPOJO("categories", item.categories());
                if (item.brand() != null) {
                    line.put("brand", item.brand());
                }
                w.write(JSON.writeValueAsString(line));
                w.write('\n');
            }
        }
        try (BufferedWriter w =
                Files.newBufferedWriter(
                        dir.resolve("interactions.jsonl"), StandardCharsets.UTF_8)) {
            for (Exported e : interactions) {
                ObjectNode line = JSON.createObjectNode();
                line.put("userId", e.userId());
                line.put("itemId", e.itemId());
                if (e.eventType() != null) {
                    line.put("eventType", e.eventType());
                }
                line.put("eventTime", e.eventTimeMillis());
                w.write(JSON.writeValueAsString(line));
                w.write('\n');
            }
        }
        long spaceSids = 0;
        try (BufferedWriter w =
                Files.newBufferedWriter(dir.resolve("item_sids.tsv"), StandardCharsets.UTF_8)) {
            for (ItemSid s : sids.values()) {
                if (s.getModelVersion().toString().equals(space)
                        && catalog.containsKey(s.getItemId().toString())) {
                    StringBuilder line = new StringBuilder(s.getItemId().toString()).append('\t');
                    for (int i = 0; i < s.getSid().size(); i++) {
                        line.append(i == 0 ? "" : " ").append(s.getSid().get(i));
                    }
                    w.write(line.append('\n').toString());
                    spaceSids++;
                }
            }
        }
        out.printf(
                "item_sids.tsv: %d live SIDs of SID space %s%n",
                spaceSids, space == null ? "(none on items.sid.v1)" : space);
        int threads = Integer.parseInt(opts.getOrDefault("--threads", "0"));
        EmbedCommand.embed(items, vectors, dir.resolve("embeddings"), 64, threads, out);
        out.printf(
                "exported %d live items (%d with their own vector), %d interactions of %d users%s"
                        + "%s to %s%n",
                items.size(),
                vectors.size(),
                interactions.size(),
                interactions.stream().map(Exported::userId).distinct().count(),
                interactions.isEmpty()
                        ? ""
                        : " from "
                                + Instant.ofEpochMilli(interactions.get(0).eventTimeMillis())
                                + " to "
                                + Instant.ofEpochMilli(
                                        interactions
                                                .get(interactions.size() - 1)
                                                .eventTimeMillis()),
                undecodable == 0 ? "" : " (" + undecodable + " undecodable records skipped)",
                dir);
        out.println(
                "train with: training/train.py --embeddings "
                        + dir.resolve("embeddings")
                        + " --interactions "
                        + dir.resolve("interactions.jsonl")
                        + " --out BUNDLE");
        return 0;
    }

    /** One exported interaction. */
    record Exported(String userId, String itemId, String eventType, long eventTimeMillis) {}

    /**
     * The users' histories and the events still on the topic, each interaction once (same user,
     * item and event time), in time order; ties keep history order, then topic order.
     */
    static List<Exported> merge(Map<String, UserHistory> histories, List<InteractionEvent> recent) {
        List<Exported> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        histories.keySet().stream()
                .sorted()
                .forEach(
                        user -> {
                            for (HistoryEntry h : histories.get(user).getEntries()) {
                                Exported e =
                                        new Exported(
                                                user,
                                                h.getItemId().toString(),
                                                null,
                                                h.getEventTime().toEpochMilli());
                                if (seen.add(identity(e))) {
                                    out.add(e);
                                }
                            }
                        });
        for (InteractionEvent event : recent) {
            Exported e =
                    new Exported(
                            event.getUserId().toString(),
                            event.getItemId().toString(),
                            event.getEventType().name(),
                            event.getEventTime().toEpochMilli());
            if (seen.add(identity(e))) {
                out.add(e);
            }
        }
        out.sort(Comparator.comparingLong(Exported::eventTimeMillis));
        return out;
    }

    private static String identity(Exported e) {
        return e.userId() + '\u0000' + e.itemId() + '\u0000' + e.eventTimeMillis();
    }

    /** A compacted topic as the table it stands for: the latest value per key, none if deleted. */
    private static <V> long readTable(
            Properties props, TopicSpec<String, V> topic, Map<String, V> table) {
        return readToEnd(
                props,
                topic,
                (key, value) -> {
                    if (value == null) {
                        table.remove(key);
                    } else {
                        table.put(key, value);
                    }
                });
    }

    /** Reads {@code topic} to its end offsets at start; returns the undecodable records skipped. */
    private static <V> long readToEnd(
            Properties props, TopicSpec<String, V> topic, BiConsumer<String, V> each) {
        Deserializer<V> values = topic.valueSerde().deserializer();
        long undecodable = 0;
        try (KafkaConsumer<String, byte[]> consumer =
                new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions =
                    consumer.partitionsFor(topic.name(), Duration.ofSeconds(15)).stream()
                            .map(p -> new TopicPartition(p.topic(), p.partition()))
                            .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            while (!ends.entrySet().stream()
                    .allMatch(e -> consumer.position(e.getKey()) >= e.getValue())) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    V value;
                    try {
                        value = r.value() == null ? null : values.deserialize(r.topic(), r.value());
                    } catch (RuntimeException e) {
                        undecodable++;
                        continue;
                    }
                    each.accept(r.key(), value);
                }
            }
        }
        return undecodable;
    }
}
