package io.sidstream.retrieval.index;

import io.sidstream.contracts.Topics;
import io.sidstream.retrieval.beam.SidTrie;
import io.sidstream.schemas.v1.ItemSid;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Keeps a {@link SidTrie} equal to {@code items.sid.v1}: reads every partition from the beginning
 * (read_committed, no consumer group: every retrieval instance holds the whole index) and applies
 * SIDs and tombstones as they arrive, so a newly listed item is searchable as soon as its record is
 * consumed. One thread; {@link #awaitCaughtUp} tells when the backlog present at start is applied.
 */
public final class SidIndexFeed implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SidIndexFeed.class);

    /** Backlog batches grow with the index (few merges) but stay under ~2M pending records. */
    private static final int BACKLOG_BATCH_MIN = 65_536;

    private static final int BACKLOG_BATCH_MAX = 2_000_000;

    private final SidTrie trie;
    private final KafkaConsumer<String, byte[]> consumer;
    private final Thread thread;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final CountDownLatch caughtUp = new CountDownLatch(1);
    private volatile boolean failed;
    private final java.util.concurrent.CompletableFuture<String> failure =
            new java.util.concurrent.CompletableFuture<>();

    /** Completes with the reason when the feed stopped by itself. */
    public java.util.concurrent.CompletableFuture<String> failure() {
        return failure;
    }

    private final String bundleVersion;
    private final String topic;
    private final java.util.concurrent.atomic.LongAdder foreign =
            new java.util.concurrent.atomic.LongAdder();

    /**
     * A feed of {@code trie} from items.sid.v1 that indexes only SIDs of {@code bundleVersion}: a
     * SID space belongs to one bundle, and a record another bundle wrote (a second deployment
     * rolling out, a stale producer) is skipped and counted, never mixed in. Tombstones apply
     * whatever bundle wrote the SID they delete.
     */
    public SidIndexFeed(Properties kafka, SidTrie trie, String bundleVersion) {
        this(kafka, trie, bundleVersion, Topics.ITEM_SIDS.name());
    }

    /**
     * A feed from {@code topic}: {@code items.sid.v1}, or the SID topic of a SID space rolled out
     * beside it ({@link Topics#spaceSids}), which may not exist yet: the feed then waits for it,
     * not ready meanwhile.
     */
    public SidIndexFeed(Properties kafka, SidTrie trie, String bundleVersion, String topic) {
        this.topic = topic;
        this.bundleVersion = java.util.Objects.requireNonNull(bundleVersion, "bundleVersion");
        this.trie = trie;
        this.consumer = wholeTopicConsumer(kafka);
        this.thread = new Thread(this::run, "sid-index-feed");
        this.thread.setDaemon(true);
    }

    /**
     * A consumer for reading whole topics into this instance: committed records only, no consumer
     * group and no offsets (every instance reads everything itself).
     */
    static KafkaConsumer<String, byte[]> wholeTopicConsumer(Properties kafka) {
        Properties props = new Properties();
        props.putAll(kafka);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        // A SID table not created yet is waited for; never created here with broker defaults.
        props.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        return new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
    }

    /**
     * Assigns {@code partitions} to a {@link #wholeTopicConsumer} at their beginning; returns their
     * end offsets now, the point at which it has read the topic as it stood.
     */
    static java.util.Map<TopicPartition, Long> fromStart(
            KafkaConsumer<String, byte[]> consumer, List<TopicPartition> partitions) {
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        return consumer.endOffsets(partitions);
    }

    /**
     * How many backlog records the feed gathers before merging them into an index of {@code
     * indexSize} items.
     */
    public static int backlogBatch(int indexSize) {
        return Math.max(BACKLOG_BATCH_MIN, Math.min(indexSize, BACKLOG_BATCH_MAX));
    }

    public void start() {
        thread.start();
    }

    /** SID records of other bundles skipped so far. */
    public long foreignRecords() {
        return foreign.sum();
    }

    /** Waits until the records present at start are applied; false on timeout. */
    /** Whether the index has read every SID that existed when it started. */
    public boolean caughtUp() {
        return caughtUp.getCount() == 0;
    }

    /** False once the feed stopped by itself: the index no longer follows the catalog. */
    public boolean alive() {
        return !failed;
    }

    public boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
        return caughtUp.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The topic this feed reads. */
    public String topic() {
        return topic;
    }

    private void run() {
        try {
            List<TopicPartition> partitions = List.of();
            for (int attempt = 0; partitions.isEmpty() && running.get(); attempt++) {
                if (attempt == 1) {
                    LOG.warn("{} does not exist yet; the index waits for it, not ready", topic);
                }
                if (attempt > 0) {
                    Thread.sleep(1_000);
                }
                partitions =
                        consumer.partitionsFor(topic, Duration.ofSeconds(60)).stream()
                                .map(p -> new TopicPartition(p.topic(), p.partition()))
                                .toList();
            }
            var end = fromStart(consumer, partitions);
            // The backlog goes in as a few large batches, each merged into the index in one pass;
            // once caught up, each poll's records are applied as they come.
            SidTrie.Batch backlog = trie.newBatch();
            SidTrie.Batch live = trie.newBatch();
            while (running.get()) {
                SidTrie.Batch updates = caughtUp.getCount() > 0 ? backlog : live;
                for (ConsumerRecord<String, byte[]> record :
                        consumer.poll(Duration.ofMillis(100))) {
                    addTo(updates, record);
                }
                boolean atEnd =
                        caughtUp.getCount() > 0
                                && end.entrySet().stream()
                                        .allMatch(
                                                e -> consumer.position(e.getKey()) >= e.getValue());
                if (updates != backlog || atEnd || backlog.size() >= backlogBatch(trie.size())) {
                    trie.applyAll(updates);
                }
                if (atEnd) {
                    // Its arrays grew to the largest batch; the live phase needs none of that.
                    backlog = trie.newBatch();
                    LOG.info(
                            "SID index caught up items={} version={}", trie.size(), trie.version());
                    caughtUp.countDown();
                }
            }
        } catch (WakeupException e) {
            // close() woke us up.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.error("SID index feed stopped", e);
            failed = true;
            failure.complete("SID index feed stopped: " + e);
        } finally {
            consumer.close();
        }
    }

    private void addTo(SidTrie.Batch batch, ConsumerRecord<String, byte[]> record) {
        if (record.key() == null) {
            return;
        }
        if (record.value() == null) {
            batch.remove(record.key());
            return;
        }
        try {
            ItemSid sid =
                    Topics.ITEM_SIDS
                            .valueSerde()
                            .deserializer()
                            .deserialize(record.topic(), record.value());
            if (!bundleVersion.equals(sid.getModelVersion())) {
                foreign.increment();
                LOG.debug(
                        "skipping SID of item {} from bundle {} (this index is {})",
                        record.key(),
                        sid.getModelVersion(),
                        bundleVersion);
                return;
            }
            int[] codes = sid.getSid().stream().mapToInt(Integer::intValue).toArray();
            trie.checkSid(codes);
            batch.put(record.key(), codes, sid.getItemEventTime().toEpochMilli());
        } catch (SerializationException | IllegalArgumentException e) {
            // Never index what we cannot read: a search must not return it.
            LOG.warn(
                    "skipping unreadable SID record {}-{}@{}: {}",
                    record.topic(),
                    record.partition(),
                    record.offset(),
                    e.getMessage());
        }
    }

    @Override
    public void close() {
        running.set(false);
        consumer.wakeup();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
