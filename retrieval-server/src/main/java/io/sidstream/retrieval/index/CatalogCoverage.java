package io.sidstream.retrieval.index;

import io.sidstream.contracts.Topics;
import io.sidstream.retrieval.beam.SidTrie;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Whether a live index of its own SID space covers the whole live catalog: follows {@code
 * items.catalog.v1} (every live item's latest content; tombstones delist) and completes {@link
 * #covered()} at the first moment, after reading the catalog to its end, when every live item (but
 * an allowed number) has a SID in the index. An instance rolling out a new SID space answers
 * nothing before that: it would recommend a partial catalog while the re-tokenization is still
 * under way.
 */
public final class CatalogCoverage implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CatalogCoverage.class);

    private final SidTrie index;
    private final KafkaConsumer<String, byte[]> consumer;
    private final Set<String> live = ConcurrentHashMap.newKeySet();
    private final CompletableFuture<Instant> covered = new CompletableFuture<>();
    private final CompletableFuture<String> failure = new CompletableFuture<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;
    private volatile long uncovered = -1;
    private final long maxUncovered;

    /**
     * @param maxUncovered live items that may lack a SID when coverage completes (those the new
     *     space could not encode; 0: every item)
     */
    public CatalogCoverage(Properties kafka, SidTrie index, long maxUncovered) {
        this.maxUncovered = maxUncovered;
        this.index = index;
        this.consumer = SidIndexFeed.wholeTopicConsumer(kafka);
        this.thread = new Thread(this::run, "catalog-coverage");
        this.thread.setDaemon(true);
    }

    public void start() {
        thread.start();
    }

    /** Completes with the moment the index first held a SID for every live catalog item. */
    public CompletableFuture<Instant> covered() {
        return covered;
    }

    /** Live catalog items without a SID in the index at the last check; -1 before the first. */
    public long uncovered() {
        return uncovered;
    }

    public CompletableFuture<String> failure() {
        return failure;
    }

    private void run() {
        String topic = Topics.ITEM_CATALOG.name();
        try {
            List<TopicPartition> partitions =
                    consumer.partitionsFor(topic, Duration.ofSeconds(60)).stream()
                            .map(p -> new TopicPartition(p.topic(), p.partition()))
                            .toList();
            Map<TopicPartition, Long> end = SidIndexFeed.fromStart(consumer, partitions);
            boolean read = false;
            long lastCheck = 0;
            while (running.get() && !covered.isDone()) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.key() == null) {
                        continue;
                    }
                    if (r.value() == null) {
                        live.remove(r.key());
                    } else {
                        live.add(r.key());
                    }
                }
                read =
                        read
                                || end.entrySet().stream()
                                        .allMatch(
                                                e -> consumer.position(e.getKey()) >= e.getValue());
                if (read && System.nanoTime() - lastCheck > 500_000_000L) {
                    lastCheck = System.nanoTime();
                    long missing = live.stream().filter(id -> index.sidOf(id) == null).count();
                    uncovered = missing;
                    if (missing <= maxUncovered) {
                        Instant now = Instant.now();
                        LOG.info(
                                "SID index covers the live catalog items={} uncovered={}",
                                live.size(),
                                missing);
                        covered.complete(now);
                    }
                }
            }
        } catch (WakeupException e) {
            // close() woke us up.
        } catch (RuntimeException e) {
            LOG.error("catalog coverage check stopped", e);
            failure.complete("catalog coverage check stopped: " + e);
        } finally {
            consumer.close();
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
