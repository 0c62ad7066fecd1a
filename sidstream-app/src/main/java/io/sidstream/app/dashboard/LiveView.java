package io.sidstream.app.dashboard;

import io.sidstream.contracts.TopicSpec;
import io.sidstream.contracts.Topics;
import io.sidstream.schemas.v1.Candidate;
import io.sidstream.schemas.v1.DeadLetter;
import io.sidstream.schemas.v1.InteractionEvent;
import io.sidstream.schemas.v1.ItemEvent;
import io.sidstream.schemas.v1.ItemSid;
import io.sidstream.schemas.v1.Recommendations;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * What the dashboard shows, read from the topics themselves (read_committed, from the beginning, no
 * consumer group): counts per topic, the live SIDs and their codebook usage, item titles, freshness
 * (item listed -> SID published; last interaction -> recommendation published), the latest
 * recommendations per user and when each item first appeared in one. Reading the topics rather than
 * the services' internals means the view shows what any consumer of sidstream sees.
 */
public final class LiveView implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LiveView.class);
    private static final int MAX_SAMPLES = 200_000;
    private static final int RECENT_DEAD_LETTERS = 20;

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Thread thread;
    private final int levels;
    private final int codebookSize;
    private volatile boolean running = true;

    private final Map<String, Long> counts = new LinkedHashMap<>();
    private final Map<String, String> titles = new HashMap<>();
    private final Map<String, Long> listedAt = new HashMap<>();
    private final Map<String, int[]> sids = new HashMap<>();
    private final Map<String, Integer> prefixCounts = new HashMap<>();
    private final long[][] codeUsage;

    /** Arrival times of each user's interactions, to match recommendations to what caused them. */
    private final Map<String, long[]> interactionTimes = new HashMap<>();

    private final List<long[]> triggeredRecommendations = new ArrayList<>();
    private final List<String> triggeredUsers = new ArrayList<>();
    private final Map<String, Integer> interactionsPerUser = new HashMap<>();
    private final Map<String, Recommendations> latestRecommendations = new HashMap<>();
    private final Map<String, Long> firstRecommendedAt = new HashMap<>();
    private final Deque<DeadLetter> recentDeadLetters = new ArrayDeque<>();
    private final Samples listedToSid = new Samples(MAX_SAMPLES);
    private volatile long coldStartFrom = Long.MAX_VALUE;

    private final Map<String, org.apache.kafka.common.serialization.Deserializer<?>> deserializers =
            new java.util.HashMap<>();
    private final Map<String, Long> undecodable = new java.util.HashMap<>();

    /** Count snapshots, newest last, a second or more apart: the rates' window. */
    private final Deque<Map.Entry<Long, Map<String, Long>>> snapshots = new ArrayDeque<>();

    private static final long RATE_WINDOW_MS = 10_000;

    LiveView(String bootstrapServers, int levels, int codebookSize) {
        for (TopicSpec<?, ?> spec : Topics.all()) {
            deserializers.put(spec.name(), spec.valueSerde().deserializer());
        }
        this.levels = levels;
        this.codebookSize = codebookSize;
        this.codeUsage = new long[levels][codebookSize];
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "sidstream-dashboard");
        consumer =
                new KafkaConsumer<>(
                        props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        for (TopicSpec<?, ?> spec : Topics.all()) {
            counts.put(spec.name(), 0L);
        }
        thread = new Thread(this::run, "dashboard-live-view");
        thread.setDaemon(true);
    }

    /** Starts reading every catalogued topic from the beginning. */
    public static LiveView start(String bootstrapServers, int levels, int codebookSize) {
        LiveView view = new LiveView(bootstrapServers, levels, codebookSize);
        List<TopicPartition> partitions = new ArrayList<>();
        for (TopicSpec<?, ?> spec : Topics.all()) {
            view.consumer
                    .partitionsFor(spec.name(), Duration.ofSeconds(30))
                    .forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
        }
        view.consumer.assign(partitions);
        view.consumer.seekToBeginning(partitions);
        view.thread.start();
        return view;
    }

    /** Items listed from now on count as cold-start items (the demo lists them mid-replay). */
    public void markColdStartFrom(long epochMillis) {
        coldStartFrom = epochMillis;
    }

    private void run() {
        try {
            while (running) {
                try {
                    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                        handle(r.topic(), r.key(), r.value(), r.timestamp());
                    }
                } catch (WakeupException e) {
                    throw e;
                } catch (RuntimeException e) {
                    // A broker hiccup must not freeze the view for good: log, back off, go on.
                    LOG.warn("dashboard view: reading failed, retrying: {}", e.toString());
                    Thread.sleep(1000);
                }
                sample(System.currentTimeMillis());
            }
        } catch (WakeupException e) {
            // closing
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            consumer.close(Duration.ofSeconds(2));
        }
    }

    /** Records the counts at {@code nowMs} for {@link #rates()}, at most once a second. */
    synchronized void sample(long nowMs) {
        if (!snapshots.isEmpty() && nowMs - snapshots.peekLast().getKey() < 1000) {
            return;
        }
        snapshots.addLast(Map.entry(nowMs, new HashMap<>(counts)));
        while (snapshots.size() > 2 && nowMs - snapshots.peekFirst().getKey() > RATE_WINDOW_MS) {
            snapshots.removeFirst();
        }
    }

    /** Records per second per catalogued topic over the last ten seconds or so. */
    public synchronized Map<String, Double> rates() {
        Map<String, Double> rates = new LinkedHashMap<>();
        if (snapshots.size() < 2) {
            counts.keySet().forEach(t -> rates.put(t, 0.0));
            return rates;
        }
        var first = snapshots.peekFirst();
        var last = snapshots.peekLast();
        double seconds = (last.getKey() - first.getKey()) / 1000.0;
        for (String topic : counts.keySet()) {
            long delta =
                    last.getValue().getOrDefault(topic, 0L)
                            - first.getValue().getOrDefault(topic, 0L);
            rates.put(topic, delta / seconds);
        }
        return rates;
    }

    /**
     * Decodes and applies one record. A record that does not decode (a foreign producer, a poison
     * record) is counted for its topic and skipped: one bad record must not freeze the view.
     */
    void handle(String topic, byte[] rawKey, byte[] rawValue, long timestamp) {
        String key =
                rawKey == null ? null : new String(rawKey, java.nio.charset.StandardCharsets.UTF_8);
        Object value;
        try {
            var deserializer = deserializers.get(topic);
            value =
                    rawValue == null || deserializer == null
                            ? null
                            : deserializer.deserialize(topic, rawValue);
        } catch (org.apache.kafka.common.errors.SerializationException e) {
            skipped(topic);
            return;
        }
        try {
            apply(topic, key, value, timestamp);
        } catch (RuntimeException e) {
            // Decodes, yet the view cannot use it (a foreign producer's odd values): skip it too.
            LOG.debug("dashboard view skipped a record of {}: {}", topic, e.toString());
            skipped(topic);
        }
    }

    private synchronized void skipped(String topic) {
        counts.merge(topic, 1L, Long::sum);
        undecodable.merge(topic, 1L, Long::sum);
    }

    /** Records per topic that could not be decoded (and were skipped). */
    public synchronized Map<String, Long> undecodable() {
        return Map.copyOf(undecodable);
    }

    synchronized void apply(String topic, String key, Object value, long timestamp) {
        counts.merge(topic, 1L, Long::sum);
        if (value instanceof ItemEvent) {
            ItemEvent item = (ItemEvent) value;
            titles.put(item.getItemId(), item.getTitle());
            listedAt.put(item.getItemId(), timestamp);
        } else if (topic.equals(Topics.ITEM_SIDS.name())) {
            applySid(key, (ItemSid) value, timestamp);
        } else if (value instanceof InteractionEvent) {
            int n = interactionsPerUser.merge(key, 1, Integer::sum);
            long[] times = interactionTimes.get(key);
            if (times == null || times.length < n) {
                times = Arrays.copyOf(times == null ? new long[0] : times, Math.max(4, n * 2));
                interactionTimes.put(key, times);
            }
            times[n - 1] = timestamp;
        } else if (value instanceof Recommendations) {
            Recommendations recs = (Recommendations) value;
            latestRecommendations.put(recs.getUserId(), recs);
            for (Candidate c : recs.getCandidates()) {
                firstRecommendedAt.putIfAbsent(c.getItemId(), timestamp);
            }
            // Requests that ingest-stream raised for a history change ("<user>-<due>"), not the
            // ad-hoc HTTP ones.
            if (recs.getRequestedAt() != null
                    && recs.getRequestId().startsWith(recs.getUserId() + "-")
                    && triggeredRecommendations.size() < MAX_SAMPLES) {
                triggeredRecommendations.add(
                        new long[] {
                            recs.getRequestedAt().toEpochMilli(),
                            recs.getCompletedAt().toEpochMilli()
                        });
                triggeredUsers.add(recs.getUserId());
            }
        } else if (value instanceof DeadLetter) {
            recentDeadLetters.addFirst((DeadLetter) value);
            while (recentDeadLetters.size() > RECENT_DEAD_LETTERS) {
                recentDeadLetters.removeLast();
            }
        }
    }

    private void applySid(String itemId, ItemSid sid, long timestamp) {
        int[] previous = sids.remove(itemId);
        if (previous != null) {
            count(previous, -1);
        }
        if (sid == null) {
            return;
        }
        int[] codes = sid.getSid().stream().mapToInt(Integer::intValue).toArray();
        sids.put(itemId, codes);
        count(codes, +1);
        Long listed = listedAt.get(itemId);
        if (listed != null && previous == null) {
            listedToSid.add(Math.max(0, timestamp - listed));
        }
    }

    private void count(int[] codes, int delta) {
        for (int l = 0; l < levels && l < codes.length; l++) {
            if (codes[l] >= 0 && codes[l] < codebookSize) {
                codeUsage[l][codes[l]] += delta;
            }
        }
        String prefix = prefixKey(codes, levels);
        if (prefixCounts.merge(prefix, delta, Integer::sum) <= 0) {
            prefixCounts.remove(prefix);
        }
    }

    static String prefixKey(int[] codes, int length) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < length && i < codes.length; i++) {
            b.append(i == 0 ? "" : ",").append(codes[i]);
        }
        return b.toString();
    }

    /** Messages per catalogued topic so far. */
    public synchronized Map<String, Long> counts() {
        return new LinkedHashMap<>(counts);
    }

    public synchronized int liveItems() {
        return sids.size();
    }

    /** Unique semantic prefixes (the L codes without the collision code) per live item. */
    public synchronized double diversity() {
        return sids.isEmpty() ? 0 : (double) prefixCounts.size() / sids.size();
    }

    /** Items holding each code, per level: {@code [level][code]}. */
    public synchronized long[][] codeUsage() {
        long[][] copy = new long[levels][];
        for (int l = 0; l < levels; l++) {
            copy[l] = Arrays.copyOf(codeUsage[l], codebookSize);
        }
        return copy;
    }

    public synchronized String title(String itemId) {
        return titles.get(itemId);
    }

    public synchronized int[] sid(String itemId) {
        return sids.get(itemId);
    }

    public synchronized Samples.Summary listedToSid() {
        return listedToSid.summary();
    }

    /**
     * For each recommendation raised by a history change: from the user's last interaction that
     * arrived before the request, to the recommendation's completion. Computed on demand, because
     * the topics are read in no particular order across each other.
     */
    public synchronized Samples.Summary interactionToRecommendation() {
        Samples samples = new Samples(MAX_SAMPLES);
        for (int i = 0; i < triggeredRecommendations.size(); i++) {
            long[] rec = triggeredRecommendations.get(i);
            String user = triggeredUsers.get(i);
            long[] times = interactionTimes.get(user);
            int n = interactionsPerUser.getOrDefault(user, 0);
            long last = -1;
            for (int j = 0; j < n; j++) {
                if (times[j] <= rec[0] && times[j] > last) {
                    last = times[j];
                }
            }
            if (last >= 0) {
                samples.add(Math.max(0, rec[1] - last));
            }
        }
        return samples.summary();
    }

    public synchronized Recommendations latestRecommendations(String userId) {
        return latestRecommendations.get(userId);
    }

    public synchronized int recommendationUsers() {
        return latestRecommendations.size();
    }

    public synchronized List<DeadLetter> recentDeadLetters() {
        return new ArrayList<>(recentDeadLetters);
    }

    /** The users with most interactions, most active first. */
    public synchronized List<Map.Entry<String, Integer>> topUsers(int n) {
        return interactionsPerUser.entrySet().stream()
                .sorted((a, b) -> b.getValue() - a.getValue())
                .limit(n)
                .map(e -> Map.entry(e.getKey(), e.getValue()))
                .toList();
    }

    public synchronized int interactionsOf(String userId) {
        return interactionsPerUser.getOrDefault(userId, 0);
    }

    /** The children of a SID prefix: next code -> number of live items below it. */
    public synchronized Map<Integer, Integer> children(int[] prefix) {
        Map<Integer, Integer> out = new java.util.TreeMap<>();
        for (int[] codes : sids.values()) {
            if (startsWith(codes, prefix) && codes.length > prefix.length) {
                out.merge(codes[prefix.length], 1, Integer::sum);
            }
        }
        return out;
    }

    /** Live items under a prefix, at most {@code limit}, ordered by full SID. */
    public synchronized List<Map.Entry<String, int[]>> itemsUnder(int[] prefix, int limit) {
        return sids.entrySet().stream()
                .filter(e -> startsWith(e.getValue(), prefix))
                .sorted((a, b) -> Arrays.compare(a.getValue(), b.getValue()))
                .limit(limit)
                .map(e -> Map.entry(e.getKey(), e.getValue().clone()))
                .toList();
    }

    private static boolean startsWith(int[] codes, int[] prefix) {
        if (codes.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (codes[i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    /** A newly listed item: when it was listed, got its SID, and first appeared in a result. */
    public record ColdStartItem(
            String itemId, String title, long listedAt, boolean hasSid, Long firstRecommendedAt) {}

    /** Items listed since {@link #markColdStartFrom}, newest first. */
    public synchronized List<ColdStartItem> coldStartItems(int limit) {
        return listedAt.entrySet().stream()
                .filter(e -> e.getValue() >= coldStartFrom)
                .sorted((a, b) -> Long.compare(b.getValue(), a.getValue()))
                .limit(limit)
                .map(
                        e ->
                                new ColdStartItem(
                                        e.getKey(),
                                        titles.get(e.getKey()),
                                        e.getValue(),
                                        sids.containsKey(e.getKey()),
                                        firstRecommendedAt.get(e.getKey())))
                .toList();
    }

    /** Counts of the cold-start items: listed, and recommended at least once. */
    public synchronized long[] coldStartCounts() {
        long listed = 0;
        long recommended = 0;
        for (Map.Entry<String, Long> e : listedAt.entrySet()) {
            if (e.getValue() >= coldStartFrom) {
                listed++;
                recommended += firstRecommendedAt.containsKey(e.getKey()) ? 1 : 0;
            }
        }
        return new long[] {listed, recommended};
    }

    public int levels() {
        return levels;
    }

    public int codebookSize() {
        return codebookSize;
    }

    @Override
    public void close() {
        running = false;
        if (thread.getState() == Thread.State.NEW) {
            consumer.close(Duration.ZERO);
            return;
        }
        consumer.wakeup();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
