package io.sidstream.ingest;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Deletes what the owners have applied from the relay topics, as Kafka Streams does for its
 * repartition topics. The relay topics keep records without a time limit (owners stopped for longer
 * than a retention period must still find their input), so this is what bounds them: every {@code
 * period}, each record below the owners' committed offset is deleted. Every instance runs one; the
 * deletions are idempotent.
 */
final class RelayTopicPurger implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RelayTopicPurger.class);

    private final Admin admin;
    private final String ownerGroup;
    private final Set<String> topics;
    private final ScheduledExecutorService timer;
    private final Map<TopicPartition, Long> purged = new HashMap<>();

    RelayTopicPurger(
            Map<String, Object> adminProps,
            String ownerGroup,
            List<String> topics,
            Duration period) {
        this.admin = Admin.create(adminProps);
        this.ownerGroup = ownerGroup;
        this.topics = Set.copyOf(topics);
        this.timer =
                Executors.newSingleThreadScheduledExecutor(
                        r -> {
                            Thread t = new Thread(r, "relay-purger");
                            t.setDaemon(true);
                            return t;
                        });
        timer.scheduleWithFixedDelay(
                this::purgeQuietly, period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Deletes the records the owners have committed past; returns the partitions moved. */
    int purge() throws Exception {
        Map<TopicPartition, RecordsToDelete> deletions = new HashMap<>();
        Map<TopicPartition, OffsetAndMetadata> committed =
                admin.listConsumerGroupOffsets(ownerGroup)
                        .partitionsToOffsetAndMetadata()
                        .get(30, TimeUnit.SECONDS);
        committed.forEach(
                (tp, offset) -> {
                    if (offset == null || !topics.contains(tp.topic())) {
                        return;
                    }
                    if (offset.offset() < purged.getOrDefault(tp, 0L)) {
                        purged.remove(tp); // the topic was recreated: its offsets restarted
                    }
                    if (offset.offset() > purged.getOrDefault(tp, 0L)) {
                        deletions.put(tp, RecordsToDelete.beforeOffset(offset.offset()));
                    }
                });
        if (!deletions.isEmpty()) {
            admin.deleteRecords(deletions).all().get(30, TimeUnit.SECONDS);
            deletions.forEach((tp, d) -> purged.put(tp, d.beforeOffset()));
        }
        return deletions.size();
    }

    private void purgeQuietly() {
        try {
            purge();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Throwable e) {
            // Whatever it is, the schedule must survive it (a throw would cancel it). Transient (a
            // broker away, a rebalance): the next round deletes the same records.
            LOG.warn("relay topic purge failed group={} reason={}", ownerGroup, e.toString());
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
        admin.close(Duration.ofSeconds(5));
    }
}
