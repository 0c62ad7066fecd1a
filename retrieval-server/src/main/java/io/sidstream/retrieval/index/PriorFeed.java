package io.sidstream.retrieval.index;

import io.sidstream.contracts.Topics;
import io.sidstream.retrieval.beam.PopularityPrior;
import io.sidstream.retrieval.beam.SidTrie;
import io.sidstream.schemas.v1.InteractionEvent;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Feeds the live {@link PopularityPrior} from {@code users.events.v1}: every retrieval instance
 * reads every partition (no consumer group, like the SID index), starting {@code lookback} before
 * now by record timestamp, and counts each interaction under its item's SID at the event's time.
 * The prior is a read-only view of the stream, so a restart simply reads the lookback again.
 *
 * <p>An interaction that arrives before its item's SID (a newly listed item's first viewers race
 * its SID assignment) waits, up to {@link #PENDING_LIMIT} events and {@link #PENDING_MAX_AGE}, and
 * is counted once the SID is in the index; beyond that it is dropped and counted.
 *
 * <p>Nothing poisons it: an undecodable record is skipped, and an event time more than a day ahead
 * of the wall clock is refused, since the prior's clock is the newest event time and one record
 * from the year 2100 would otherwise age everything else away.
 */
public final class PriorFeed implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PriorFeed.class);
    private static final long MAX_FUTURE_MILLIS = Duration.ofDays(1).toMillis();
    static final int PENDING_LIMIT = 100_000;
    static final Duration PENDING_MAX_AGE = Duration.ofMinutes(10);
    private static final long RETRY_EVERY_NANOS = Duration.ofMillis(200).toNanos();

    private final PopularityPrior prior;
    private final SidTrie trie;
    private final Duration lookback;
    private final KafkaConsumer<String, byte[]> consumer;
    private final Thread thread;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicLong unknownItems = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final CompletableFuture<String> failure = new CompletableFuture<>();
    private final java.util.concurrent.CountDownLatch closing =
            new java.util.concurrent.CountDownLatch(1);

    /** Event times of interactions waiting for their item's SID, by item; feed thread only. */
    private final Map<String, PendingItem> pending = new java.util.LinkedHashMap<>();

    private int pendingEvents;
    private long lastRetry;

    private static final class PendingItem {
        final long firstWaitNanos = System.nanoTime();
        final java.util.List<Long> times = new java.util.ArrayList<>();
    }

    public PriorFeed(Properties kafka, PopularityPrior prior, SidTrie trie, Duration lookback) {
        this.prior = prior;
        this.trie = trie;
        this.lookback = lookback;
        this.consumer = SidIndexFeed.wholeTopicConsumer(kafka);
        this.thread = new Thread(this::run, "popularity-prior-feed");
        this.thread.setDaemon(true);
    }

    public void start() {
        thread.start();
    }

    /**
     * Interactions dropped because their item had no SID in this instance's index within {@link
     * #PENDING_MAX_AGE} (or too many were waiting).
     */
    public long unknownItems() {
        return unknownItems.get();
    }

    /** Records skipped as undecodable or with an event time far in the future. */
    public long refused() {
        return refused.get();
    }

    /** Completes with the reason when the feed stopped by itself. */
    public CompletableFuture<String> failure() {
        return failure;
    }

    private void run() {
        try {
            List<TopicPartition> partitions = partitions();
            while (partitions.isEmpty() && running.get()) {
                // No interactions topic (yet): serve without a prior until it appears.
                if (closing.await(5, java.util.concurrent.TimeUnit.SECONDS)) {
                    return;
                }
                partitions = partitions();
            }
            if (!running.get()) {
                return;
            }
            consumer.assign(partitions);
            Map<TopicPartition, Long> since = new HashMap<>();
            long from = System.currentTimeMillis() - lookback.toMillis();
            partitions.forEach(p -> since.put(p, from));
            Map<TopicPartition, OffsetAndTimestamp> starts = consumer.offsetsForTimes(since);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            for (TopicPartition p : partitions) {
                OffsetAndTimestamp start = starts.get(p);
                consumer.seek(p, start == null ? ends.get(p) : start.offset());
            }
            while (running.get()) {
                for (ConsumerRecord<String, byte[]> record :
                        consumer.poll(Duration.ofMillis(100))) {
                    apply(record);
                }
                if (!pending.isEmpty() && System.nanoTime() - lastRetry > RETRY_EVERY_NANOS) {
                    retryPending();
                }
            }
        } catch (WakeupException e) {
            // close() woke us up.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            if (!running.get()) {
                return; // closing: the wakeup was ours
            }
            LOG.error("popularity prior feed stopped", e);
            failure.complete("popularity prior feed stopped: " + e);
        } finally {
            consumer.close();
        }
    }

    private List<TopicPartition> partitions() {
        return consumer.partitionsFor(Topics.INTERACTIONS.name(), Duration.ofSeconds(60)).stream()
                .map(p -> new TopicPartition(p.topic(), p.partition()))
                .toList();
    }

    private void apply(ConsumerRecord<String, byte[]> record) {
        if (record.value() == null) {
            return;
        }
        InteractionEvent event;
        try {
            event =
                    Topics.INTERACTIONS
                            .valueSerde()
                            .deserializer()
                            .deserialize(record.topic(), record.value());
        } catch (SerializationException | IllegalArgumentException e) {
            refused.incrementAndGet();
            return;
        }
        long time = event.getEventTime().toEpochMilli();
        if (time > System.currentTimeMillis() + MAX_FUTURE_MILLIS) {
            refused.incrementAndGet();
            return;
        }
        int[] sid = trie.sidOf(event.getItemId());
        if (sid == null) {
            if (pendingEvents >= PENDING_LIMIT) {
                unknownItems.incrementAndGet();
                return;
            }
            pending.computeIfAbsent(event.getItemId(), k -> new PendingItem()).times.add(time);
            pendingEvents++;
            return;
        }
        prior.observe(event.getItemId(), sid, time);
    }

    /** Counts the waiting interactions whose item now has a SID; drops those waiting too long. */
    private void retryPending() {
        lastRetry = System.nanoTime();
        for (var it = pending.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            int[] sid = trie.sidOf(e.getKey());
            if (sid != null) {
                for (long time : e.getValue().times) {
                    prior.observe(e.getKey(), sid, time);
                }
            } else if (lastRetry - e.getValue().firstWaitNanos < PENDING_MAX_AGE.toNanos()) {
                continue;
            } else {
                unknownItems.addAndGet(e.getValue().times.size());
            }
            pendingEvents -= e.getValue().times.size();
            it.remove();
        }
    }

    @Override
    public void close() {
        running.set(false);
        closing.countDown();
        consumer.wakeup();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
