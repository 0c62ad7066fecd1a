package io.sidstream.ingest.processor;

import io.sidstream.contracts.Topics;
import io.sidstream.ingest.errors.RejectReason;
import io.sidstream.ingest.errors.SourceProvenance;
import io.sidstream.ingest.metrics.ItemMetrics;
import io.sidstream.ingest.store.IngestStores;
import io.sidstream.ingest.topology.ItemAssignmentSettings;
import io.sidstream.ingest.v1.ItemState;
import io.sidstream.ingest.v1.PendingItem;
import io.sidstream.ingest.v1.PrefixCommand;
import io.sidstream.ingest.v1.PrefixCommandType;
import io.sidstream.ingest.v1.SidConfirmation;
import io.sidstream.model.bundle.ModelException;
import io.sidstream.platform.errors.DeadLetters;
import io.sidstream.platform.errors.RecordDecoder;
import io.sidstream.schemas.v1.ItemEvent;
import io.sidstream.schemas.v1.ItemSid;
import io.sidstream.sid.ItemContent;
import io.sidstream.sid.SemanticEncoder;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * The single writer of {@code items.sid.v1} for the items of its partition (keyed by item id).
 *
 * <ol>
 *   <li>Item events are decoded and validated (bad ones go to the dead-letter topic with the
 *       reason); unchanged content (same hash) is a no-op, so replays and re-listings keep their
 *       SID.
 *   <li>Changed text is parked in the changelogged {@code item-pending} store and embedded in
 *       bounded micro-batches (when a batch is full or on a wall-clock punctuation), so batching
 *       never holds an accepted record only in memory across a commit. Content that carries its own
 *       vector needs only the RQ-VAE and is encoded at once, on the stream thread.
 *   <li>The L-level prefix goes to the prefix's owner as an ASSIGN (and a RELEASE of the old prefix
 *       when it moved); the owner answers with the full SID, which is published only if it still
 *       answers the item's latest content ({@code seq}).
 *   <li>A tombstone releases the item's collision code and publishes a tombstone.
 * </ol>
 */
public final class ItemIntakeProcessor
        implements Processor<String, IntakeEvent, String, IntakeOutput> {
    private static final RecordDecoder<ItemEvent> ITEM_DECODER = RecordDecoder.of(Topics.ITEMS);
    private static final Logger LOG = LoggerFactory.getLogger(ItemIntakeProcessor.class);

    private final SemanticEncoder assigner;
    private final Executor embedder;

    /** The batch the model is working on, if any; only the stream thread reads or sets it. */
    private CompletableFuture<Encoded> inFlight;

    private final ItemAssignmentSettings settings;
    private final ItemMetrics metrics;
    private final ItemValidator validator;
    private ProcessorContext<String, IntakeOutput> context;
    private KeyValueStore<String, ItemState> items;
    private KeyValueStore<String, PendingItem> pending;
    private long pendingCount;

    /** Headers of the record being processed; null in punctuations. */
    private Headers current;

    /** Ids accepted recently, newest last: they go first into the next batch. Not persisted. */
    private final ArrayDeque<String> recent = new ArrayDeque<>();

    /** Where the next scan of the pending store starts; null: at its first key. Not persisted. */
    private String scanCursor;

    /** A processor that runs the model on the calling (stream) thread. */
    public ItemIntakeProcessor(
            SemanticEncoder assigner, ItemAssignmentSettings settings, ItemMetrics metrics) {
        this(assigner, settings, metrics, Runnable::run);
    }

    /**
     * @param embedder where the model runs: off the stream thread, so the input (and the answers
     *     merged into it) is read at full speed while a backlog is embedded
     */
    public ItemIntakeProcessor(
            SemanticEncoder assigner,
            ItemAssignmentSettings settings,
            ItemMetrics metrics,
            Executor embedder) {
        this.embedder = embedder;
        this.assigner = assigner;
        this.settings = settings;
        this.metrics = metrics;
        this.validator = new ItemValidator(assigner.embeddingDimension(), settings.maxTextChars());
    }

    @Override
    public void init(ProcessorContext<String, IntakeOutput> context) {
        this.context = context;
        this.items = context.getStateStore(IngestStores.ITEM_STATE);
        this.pending = context.getStateStore(IngestStores.ITEM_PENDING);
        try (KeyValueIterator<String, PendingItem> it = pending.all()) {
            while (it.hasNext()) {
                it.next();
                pendingCount++;
            }
        }
        context.schedule(
                settings.embedMaxWait(), PunctuationType.WALL_CLOCK_TIME, now -> flushPending());
    }

    @Override
    public void process(Record<String, IntakeEvent> record) {
        current = record.headers();
        try {
            if (record.value() instanceof IntakeEvent.RawItem raw) {
                onItem(record.key(), raw.value());
            } else if (record.value() instanceof IntakeEvent.Confirmation c) {
                onConfirmation(c.confirmation());
            }
        } finally {
            current = null;
        }
    }

    private void onItem(String key, byte[] bytes) {
        if (key == null || key.isBlank()) {
            reject(key, bytes, RejectReason.MISSING_ID, "record has no key (item id)");
            return;
        }
        if (bytes == null) {
            delist(key);
            return;
        }
        RecordDecoder.Result<ItemEvent> decoded = ITEM_DECODER.decode(bytes);
        if (decoded instanceof RecordDecoder.Failed<ItemEvent> failed) {
            reject(key, bytes, RejectReason.of(failed.reason()), failed.explanation());
            return;
        }
        ItemEvent event = ((RecordDecoder.Decoded<ItemEvent>) decoded).value();
        ItemValidator.Result result = validator.validate(key, event);
        if (result instanceof ItemValidator.Invalid invalid) {
            reject(key, bytes, invalid.reason(), invalid.explanation());
            return;
        }
        ItemContent content = ((ItemValidator.Valid) result).content();
        String hash = assigner.contentHash(content);
        ItemState state = items.get(key);
        if (state != null && state.getContentHash().equals(hash)) {
            metrics.unchanged();
            return;
        }
        // Sequences never repeat for a key, across delistings too: an answer to a claim made
        // before a delist must not match a claim made after the relisting. The input offset is
        // strictly increasing for a key (one key, one partition) and the same on reprocessing.
        long offset = context.recordMetadata().map(m -> m.offset()).orElse(-1L);
        long seq = Math.max(state == null ? 1 : state.getSeq() + 1, offset + 1);
        ItemState next =
                ItemState.newBuilder()
                        .setContentHash(hash)
                        .setSeq(seq)
                        .setPrefix(state == null ? null : state.getPrefix())
                        .setSid(state == null ? null : state.getSid())
                        .setAssignedSeq(state == null ? -1 : state.getAssignedSeq())
                        .setEventTime(event.getEventTime().toEpochMilli())
                        .build();
        // The catalog keeps what was accepted, as produced, for a later re-tokenization.
        context.forward(
                new Record<>(
                        key, new IntakeOutput.Cataloged(bytes), context.currentSystemTimeMs()));
        long receivedAt = System.currentTimeMillis();
        if (content.isVector()) {
            // Only the RQ-VAE runs (about 30 us an item), so the item is encoded and claimed
            // right here: it never waits for a batch, a punctuation or the pending store, whose
            // writes and scans cost more than the model. Older text content still waiting for
            // its batch is superseded (looked up first: a delete always writes a changelog
            // tombstone, even for a key that is not there).
            if (pendingCount > 0 && pending.get(key) != null) {
                removePending(key);
            }
            int[] codes;
            try {
                codes = assigner.semanticCodes(List.of(content))[0];
            } catch (ModelException | IllegalArgumentException e) {
                items.put(key, next);
                reject(key, bytes, RejectReason.MODEL_FAILURE, String.valueOf(e.getMessage()));
                return;
            }
            claimPrefix(key, next, codes, next.getEventTime(), receivedAt);
            return;
        }
        items.put(key, next);
        if (pending.get(key) == null) {
            pendingCount++;
        }
        pending.put(
                key,
                PendingItem.newBuilder()
                        .setSeq(seq)
                        .setText(content.text())
                        .setEventTime(next.getEventTime())
                        .setReceivedAt(receivedAt)
                        .build());
        recent.addLast(key);
        if (recent.size() > 4 * settings.embedBatchSize()) {
            recent.removeFirst();
        }
        // No model work here: a record only joins the pending store, so the input (and the
        // answers merged into it) is read at full speed even behind a backlog. The wall-clock
        // punctuation embeds, newest arrivals first, within its budget.
    }

    @Override
    public void close() {
        // A batch still on the model is simply forgotten: its items are still pending and are
        // encoded again by whichever task owns them next.
        inFlight = null;
    }

    private void delist(String key) {
        if (pending.delete(key) != null) {
            pendingCount--;
        }
        ItemState state = items.delete(key);
        if (state != null) {
            // Both the latest claim and the published SID's code are freed: the tombstone below
            // withdraws the SID in the same transaction.
            List<Integer> published = publishedPrefix(state);
            if (state.getPrefix() != null) {
                sendCommand(
                        PrefixCommandType.RELEASE, key, state.getSeq(), state.getPrefix(), 0, 0);
            }
            if (published != null && !published.equals(state.getPrefix())) {
                sendCommand(PrefixCommandType.RELEASE, key, state.getSeq(), published, 0, 0);
            }
        }
        metrics.delisted();
        context.forward(
                new Record<>(key, new IntakeOutput.Assigned(null), context.currentSystemTimeMs()));
        context.forward(
                new Record<>(key, new IntakeOutput.Cataloged(null), context.currentSystemTimeMs()));
    }

    /**
     * Moves the model work along; called by the wall-clock punctuation. The model runs on the
     * embedder, one batch at a time: this collects a finished batch (claims its prefixes) and hands
     * the model the next one, so the stream thread never waits for the model and keeps polling,
     * committing and answering while a backlog drains. Each batch first takes the items accepted
     * most recently (up to half the batch), then the rest of the store: an item listed during a
     * bulk load gets its SID in about one batch time, and the backlog still drains at the model's
     * rate. With a direct embedder (tests), batches complete here, at most {@code
     * maxBatchesPerPunctuation} of them.
     */
    void flushPending() {
        for (int round = 0; round < settings.maxBatchesPerPunctuation(); round++) {
            if (inFlight != null) {
                if (!inFlight.isDone()) {
                    return;
                }
                // A failure other than the model rejecting an item is unexpected: it propagates
                // and stops the instance rather than dead-lettering a whole batch.
                claim(inFlight.join());
                inFlight = null;
            }
            if (pendingCount <= 0) {
                return;
            }
            List<KeyValue<String, PendingItem>> batch = nextBatch();
            if (batch.isEmpty()) {
                pendingCount = 0;
                recent.clear();
                return;
            }
            List<ItemContent> contents = batch.stream().map(kv -> contentOf(kv.value)).toList();
            inFlight = CompletableFuture.supplyAsync(() -> encode(batch, contents), embedder);
        }
    }

    /** A batch and the model's answer for each item: codes, or why the model failed on it. */
    private record Encoded(
            List<KeyValue<String, PendingItem>> batch, int[][] codes, String[] failures) {}

    /** Runs on the embedder: no store access here. */
    private Encoded encode(List<KeyValue<String, PendingItem>> batch, List<ItemContent> contents) {
        int[][] codes = new int[batch.size()][];
        String[] failures = new String[batch.size()];
        try {
            int[][] all = assigner.semanticCodes(contents);
            System.arraycopy(all, 0, codes, 0, all.length);
        } catch (ModelException | IllegalArgumentException e) {
            // Isolate the bad record: a failure on one item must not poison its batch-mates.
            for (int i = 0; i < batch.size(); i++) {
                try {
                    codes[i] = assigner.semanticCodes(List.of(contents.get(i)))[0];
                } catch (ModelException | IllegalArgumentException single) {
                    failures[i] = String.valueOf(single.getMessage());
                }
            }
        }
        return new Encoded(batch, codes, failures);
    }

    private List<KeyValue<String, PendingItem>> nextBatch() {
        int size = settings.embedBatchSize();
        // The newest arrivals, claimed in the order they arrived.
        List<String> newest = new ArrayList<>();
        while (!recent.isEmpty() && newest.size() < Math.max(1, size / 2)) {
            newest.add(0, recent.pollLast());
        }
        Map<String, PendingItem> batch = new LinkedHashMap<>();
        for (String id : newest) {
            PendingItem item = pending.get(id);
            if (item != null) {
                batch.put(id, item);
            }
        }
        // The rest from where the last scan stopped, wrapping around once: a scan from the start
        // would re-walk the deleted entries of every batch already claimed (RocksDB skips
        // tombstones one by one until compaction), which made draining a backlog quadratic.
        String from = scanCursor;
        scanCursor = null;
        if (from != null) {
            scanCursor = scanInto(batch, size, from, null);
        }
        if (batch.size() < size) {
            scanCursor = scanInto(batch, size, null, from);
        }
        List<KeyValue<String, PendingItem>> out = new ArrayList<>();
        batch.forEach((k, v) -> out.add(KeyValue.pair(k, v)));
        return out;
    }

    /**
     * Adds pending items with keys in [from, to] (null: unbounded) until the batch is full.
     *
     * @return the key the next scan starts from, or null when this one reached its end
     */
    private String scanInto(Map<String, PendingItem> batch, int size, String from, String to) {
        try (KeyValueIterator<String, PendingItem> it = pending.range(from, to)) {
            while (it.hasNext()) {
                KeyValue<String, PendingItem> kv = it.next();
                if (batch.size() >= size) {
                    return kv.key;
                }
                batch.putIfAbsent(kv.key, kv.value);
            }
        }
        return null;
    }

    /** On the stream thread: claims the prefixes of an encoded batch. */
    private void claim(Encoded encoded) {
        List<KeyValue<String, PendingItem>> batch = encoded.batch();
        int[][] codes = encoded.codes();
        metrics.embedBatch(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            String id = batch.get(i).key;
            PendingItem item = batch.get(i).value;
            PendingItem now = pending.get(id);
            if (now != null && now.getSeq() == item.getSeq()) {
                removePending(id);
            }
            ItemState state = items.get(id);
            if (state == null || state.getSeq() != item.getSeq()) {
                continue; // delisted or changed while encoding: that newer event decides
            }
            if (codes[i] == null) {
                LOG.warn("model failed on item {}: {}", id, encoded.failures()[i]);
                reject(id, null, RejectReason.MODEL_FAILURE, encoded.failures()[i]);
                continue;
            }
            claimPrefix(id, state, codes[i], item.getEventTime(), item.getReceivedAt());
        }
    }

    /** Claims the item's new L-level prefix from its owner, freeing a superseded claim. */
    private void claimPrefix(
            String id, ItemState state, int[] codes, long eventTime, long receivedAt) {
        List<Integer> prefix = Arrays.stream(codes).boxed().toList();
        // A superseded claim that was never published is freed at once (P -> Q -> R frees Q);
        // the published SID's code is freed only when its replacement is published, so no
        // committed state ever shows two live items with one SID.
        if (state.getPrefix() != null
                && !state.getPrefix().equals(prefix)
                && !state.getPrefix().equals(publishedPrefix(state))) {
            sendCommand(PrefixCommandType.RELEASE, id, state.getSeq(), state.getPrefix(), 0, 0);
        }
        sendCommand(PrefixCommandType.ASSIGN, id, state.getSeq(), prefix, eventTime, receivedAt);
        state.setPrefix(prefix);
        items.put(id, state);
    }

    private void onConfirmation(SidConfirmation c) {
        ItemState state = items.get(c.getItemId());
        if (state == null) {
            // Delisted since the claim (its RELEASE is on the way), or an answer that reached a
            // task that never owned the item: counted and named, never silently dropped.
            metrics.orphanedConfirmation();
            LOG.warn(
                    "confirmation for an item this task does not hold item={} seq={} task={}",
                    c.getItemId(),
                    c.getSeq(),
                    context.taskId());
            return;
        }
        if (state.getSeq() != c.getSeq()) {
            metrics.staleConfirmation();
            return; // answers content that has since changed: the newer claim decides
        }
        long now = context.currentSystemTimeMs();
        List<Integer> published = publishedPrefix(state);
        if (c.getSid() == null) {
            // The new prefix is full. A live item keeps the SID it has (its code was never
            // released); only an item without one goes without a SID.
            state.setPrefix(published);
            items.put(c.getItemId(), state);
            reject(
                    c.getItemId(),
                    null,
                    RejectReason.PREFIX_FULL,
                    c.getRejection()
                            + (published == null
                                    ? ""
                                    : "; the item keeps its SID " + state.getSid()));
            return;
        }
        List<Integer> confirmedPrefix = c.getSid().subList(0, c.getSid().size() - 1);
        if (published != null && !published.equals(confirmedPrefix)) {
            sendCommand(PrefixCommandType.RELEASE, c.getItemId(), c.getSeq(), published, 0, 0);
        }
        state.setSid(c.getSid());
        state.setAssignedSeq(c.getSeq());
        items.put(c.getItemId(), state);
        metrics.assigned(c.getSid(), c.getReceivedAt(), now);
        ItemSid sid =
                ItemSid.newBuilder()
                        .setItemId(c.getItemId())
                        .setSid(c.getSid())
                        .setModelVersion(assigner.modelVersion())
                        .setContentHash(state.getContentHash())
                        .setItemEventTime(Instant.ofEpochMilli(c.getEventTime()))
                        .setAssignedAt(Instant.ofEpochMilli(now))
                        .setRankerTokens(assigner.rankerTokens(c.getSid()))
                        .build();
        context.forward(new Record<>(c.getItemId(), new IntakeOutput.Assigned(sid), now));
    }

    private void sendCommand(
            PrefixCommandType type,
            String itemId,
            long seq,
            List<Integer> prefix,
            long eventTime,
            long receivedAt) {
        PrefixCommand command =
                PrefixCommand.newBuilder()
                        .setType(type)
                        .setItemId(itemId)
                        .setSeq(seq)
                        .setCodes(prefix)
                        .setEventTime(eventTime)
                        .setReceivedAt(receivedAt)
                        .setReplyPartition(context.taskId().partition())
                        .build();
        context.forward(
                new Record<>(
                        IngestStores.prefixKey(prefix),
                        new IntakeOutput.Command(command),
                        context.currentSystemTimeMs()));
    }

    private void reject(String key, byte[] bytes, RejectReason reason, String explanation) {
        metrics.deadLetter(reason);
        var deadLetter =
                DeadLetters.of(
                        SourceProvenance.of(context, current, Topics.ITEMS.name()),
                        key,
                        bytes,
                        reason.name(),
                        explanation,
                        settings.applicationId(),
                        Instant.ofEpochMilli(context.currentSystemTimeMs()));
        context.forward(
                new Record<>(
                        key, new IntakeOutput.Rejected(deadLetter), context.currentSystemTimeMs()));
    }

    /** The L-level prefix of the SID published for this item, or null when it has none. */
    private static List<Integer> publishedPrefix(ItemState state) {
        List<Integer> sid = state.getSid();
        return sid == null ? null : List.copyOf(sid.subList(0, sid.size() - 1));
    }

    private void removePending(String id) {
        if (pending.delete(id) != null) {
            pendingCount--;
        }
    }

    private static ItemContent contentOf(PendingItem item) {
        // Older builds parked vectors here too; entries restored from a changelog may hold one.
        if (item.getEmbedding() != null) {
            List<Float> values = item.getEmbedding();
            float[] vector = new float[values.size()];
            for (int i = 0; i < vector.length; i++) {
                vector[i] = values.get(i);
            }
            return ItemContent.ofVector(vector);
        }
        return ItemContent.ofText(item.getText());
    }
}
