package io.sidstream.retrieval.kafka;

import io.sidstream.contracts.Topics;
import io.sidstream.platform.TransientException;
import io.sidstream.platform.errors.DeadLetters;
import io.sidstream.platform.errors.Provenance;
import io.sidstream.platform.errors.RecordDecoder;
import io.sidstream.retrieval.RetrievalMetrics;
import io.sidstream.retrieval.batch.MicroBatcher;
import io.sidstream.retrieval.batch.OverloadedException;
import io.sidstream.retrieval.beam.BeamResult;
import io.sidstream.retrieval.request.InvalidRequestException;
import io.sidstream.retrieval.request.RequestTranslator;
import io.sidstream.retrieval.request.UnknownUserException;
import io.sidstream.schemas.v1.DeadLetter;
import io.sidstream.schemas.v1.Recommendations;
import io.sidstream.schemas.v1.RetrievalRequest;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Serves {@code retrieval.requests.v1} exactly once: each polled batch is searched (through the
 * micro-batcher), and its results, its dead letters and its consumed offsets are written in one
 * Kafka transaction, so a result is never lost (a failed send aborts the batch, which is then read
 * again) and never duplicated for a redelivered record. A request re-sent with a request id this
 * instance answered recently, or is still searching, is answered once.
 *
 * <p>The loop keeps polling while batches are searched (up to {@link #MAX_IN_FLIGHT} beyond the
 * oldest), so a request never waits for an earlier batch's search and commit before its own search
 * starts; results are committed in the order their requests were read. When partitions are revoked,
 * or a batch fails transiently, every uncommitted batch is dropped and read again from the
 * committed offsets.
 *
 * <p>Failures are classified: a malformed request is dead-lettered; a history lookup that fails
 * transiently (ingest restarting) is retried with backoff and the batch is not committed; anything
 * else (the model failing, a fenced producer) is fatal: the loop stops and {@link #failure()}
 * completes, which turns liveness DOWN and ends the process.
 */
public final class RequestLoop implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RequestLoop.class);
    private static final RecordDecoder<RetrievalRequest> REQUEST_DECODER =
            RecordDecoder.of(Topics.RETRIEVAL_REQUESTS);
    private static final int LOOKUP_TRIES = 3;
    private static final Duration SEARCH_DEADLINE = Duration.ofSeconds(60);
    private static final int REMEMBERED_REQUEST_IDS = 100_000;

    /** Polled batches searched at once beyond the oldest, whose commit the loop waits for. */
    private static final int MAX_IN_FLIGHT = 3;

    private static final Duration IDLE_POLL = Duration.ofMillis(100);

    /** With batches in flight, how long a poll may hold up the commit of a finished one. */
    private static final Duration BUSY_POLL = Duration.ofMillis(2);

    private final KafkaConsumer<String, byte[]> consumer;
    private final KafkaProducer<String, byte[]> transactional;
    private final KafkaProducer<String, byte[]> direct;
    private final MicroBatcher batcher;
    private final RequestTranslator translator;
    private final String modelVersion;
    private final String application;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final CompletableFuture<String> failure = new CompletableFuture<>();
    private final RetrievalMetrics metrics;
    private final java.util.concurrent.atomic.AtomicLong lag =
            new java.util.concurrent.atomic.AtomicLong();
    private final Thread thread;
    private final Map<String, Boolean> answered =
            new LinkedHashMap<>(1024, 0.75f, false) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                    return size() > REMEMBERED_REQUEST_IDS;
                }
            };
    private Duration backoff = Duration.ofMillis(200);

    /** Polled batches whose results are not committed yet, oldest first; loop thread only. */
    private final java.util.ArrayDeque<InFlight> inFlight = new java.util.ArrayDeque<>();

    /** Request ids of the batches in flight. */
    private final java.util.Set<String> pendingIds = new java.util.HashSet<>();

    /** Set by the rebalance listener (on the loop thread, inside poll). */
    private boolean revoked;

    public RequestLoop(
            Properties kafka,
            String groupId,
            MicroBatcher batcher,
            RequestTranslator translator,
            String modelVersion,
            RetrievalMetrics metrics) {
        this.metrics = metrics;
        metrics.requestLag(lag::get);
        Properties c = new Properties();
        c.putAll(kafka);
        c.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        this.consumer =
                new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
        Properties p = new Properties();
        p.putAll(kafka);
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        this.direct = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
        Properties t = new Properties();
        t.putAll(p);
        // Fencing of zombies is by the consumer group's generation (KIP-447), so the id only has
        // to be unique per instance.
        t.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, groupId + "-requests-" + UUID.randomUUID());
        this.transactional =
                new KafkaProducer<>(t, new StringSerializer(), new ByteArraySerializer());
        this.batcher = batcher;
        this.translator = translator;
        this.modelVersion = modelVersion;
        this.application = groupId;
        this.thread = new Thread(this::run, "retrieval-request-loop");
    }

    public void start() {
        transactional.initTransactions();
        consumer.subscribe(
                List.of(Topics.RETRIEVAL_REQUESTS.name()),
                new org.apache.kafka.clients.consumer.ConsumerRebalanceListener() {
                    @Override
                    public void onPartitionsRevoked(
                            java.util.Collection<TopicPartition> partitions) {
                        revoked |= !partitions.isEmpty() && !inFlight.isEmpty();
                    }

                    @Override
                    public void onPartitionsAssigned(
                            java.util.Collection<TopicPartition> partitions) {}

                    @Override
                    public void onPartitionsLost(java.util.Collection<TopicPartition> partitions) {
                        revoked |= !partitions.isEmpty() && !inFlight.isEmpty();
                    }
                });
        thread.start();
    }

    /** Completes with the reason when the loop stopped by itself. */
    public CompletableFuture<String> failure() {
        return failure;
    }

    /** Whether the loop thread is serving (false once it failed). */
    public boolean alive() {
        return !failure.isDone();
    }

    /**
     * Publishes a result computed outside the loop (an HTTP request); the future completes when the
     * broker has acknowledged it, or fails with the reason it was not written.
     */
    public Future<RecordMetadata> publish(String userId, Recommendations recommendations) {
        return direct.send(
                new ProducerRecord<>(
                        Topics.RECOMMENDATIONS.name(),
                        userId,
                        Topics.RECOMMENDATIONS
                                .valueSerde()
                                .serializer()
                                .serialize(Topics.RECOMMENDATIONS.name(), recommendations)));
    }

    /**
     * Records the loop's consumer lag (requests on its partitions not yet read), from the
     * consumer's last fetch: only this thread may touch the consumer, so the gauge reads a copy.
     */
    private void reportLag() {
        long lag = 0;
        for (TopicPartition tp : consumer.assignment()) {
            lag += consumer.currentLag(tp).orElse(0);
        }
        this.lag.set(lag);
    }

    private void run() {
        try {
            while (running.get()) {
                // While batches are searched the loop keeps reading, so a request that arrives
                // meanwhile joins the next search instead of waiting for this one's commit.
                ConsumerRecords<String, byte[]> records =
                        consumer.poll(inFlight.isEmpty() ? IDLE_POLL : BUSY_POLL);
                reportLag();
                try {
                    if (revoked) {
                        // The partitions moved while batches were searched: none of them is
                        // committed (the new owners read them again), and what this instance
                        // keeps is read again from its committed offsets.
                        revoked = false;
                        discardInFlight();
                        rewind();
                        continue;
                    }
                    if (!records.isEmpty()) {
                        inFlight.add(submit(records));
                    }
                    // Results go out in the order their requests were read: the finished batches
                    // at the head, with their offsets, in one transaction; a full pipeline waits
                    // for its oldest.
                    List<InFlight> ready = new ArrayList<>();
                    while (!inFlight.isEmpty()
                            && (inFlight.peek().done()
                                    || ready.isEmpty()
                                            && (inFlight.size() > MAX_IN_FLIGHT
                                                    || inFlight.peek().overdue()))) {
                        ready.add(inFlight.poll());
                    }
                    if (!ready.isEmpty()) {
                        finish(ready);
                    }
                    backoff = Duration.ofMillis(200);
                } catch (TransientException e) {
                    LOG.warn(
                            "request batch not served, retrying in {} ms: {}",
                            backoff.toMillis(),
                            e.getMessage());
                    metrics.retried();
                    discardInFlight();
                    rewind();
                    Thread.sleep(backoff.toMillis());
                    backoff =
                            backoff.multipliedBy(2).compareTo(Duration.ofSeconds(10)) > 0
                                    ? Duration.ofSeconds(10)
                                    : backoff.multipliedBy(2);
                }
            }
        } catch (WakeupException e) {
            // close()
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | ExecutionException | TimeoutException e) {
            LOG.error("request loop failed; uncommitted requests will be redelivered", e);
            failure.complete("request loop failed: " + e);
        } finally {
            // Batches still searched are not committed: their requests are read again.
            discardInFlight();
            consumer.close();
            transactional.close(Duration.ofSeconds(5));
        }
    }

    /**
     * A polled batch on its way: its searches submitted, its dead letters ready, and the offsets
     * that its transaction commits.
     */
    private record InFlight(
            Map<TopicPartition, OffsetAndMetadata> offsets,
            List<ProducerRecord<String, byte[]>> deadLetters,
            List<RetrievalRequest> requests,
            List<CompletableFuture<BeamResult>> futures,
            Instant received) {
        boolean done() {
            return futures.stream().allMatch(CompletableFuture::isDone);
        }

        /**
         * Searched for longer than the search deadline: the loop waits for it, and fails as a hung
         * search always did, rather than leave it behind newer batches.
         */
        boolean overdue() {
            return Instant.now().isAfter(received.plus(SEARCH_DEADLINE));
        }
    }

    /**
     * Drops every batch not committed yet; their requests are read again. Their searches are
     * cancelled, so the copies read again do not queue behind them.
     */
    private void discardInFlight() {
        for (InFlight batch : inFlight) {
            batch.futures().forEach(f -> f.cancel(false));
        }
        inFlight.clear();
        pendingIds.clear();
    }

    /**
     * Decodes a polled batch and submits its searches; throws TransientException (the batch and
     * every later one are read again) when a history lookup keeps failing.
     */
    private InFlight submit(ConsumerRecords<String, byte[]> records) throws InterruptedException {
        List<RetrievalRequest> requests = new ArrayList<>();
        List<CompletableFuture<BeamResult>> futures = new ArrayList<>();
        List<ProducerRecord<String, byte[]>> deadLetters = new ArrayList<>();
        Instant received = Instant.now();
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (TopicPartition tp : records.partitions()) {
            List<ConsumerRecord<String, byte[]>> part = records.records(tp);
            offsets.put(tp, new OffsetAndMetadata(part.get(part.size() - 1).offset() + 1));
        }
        List<String> submittedIds = new ArrayList<>();
        try {
            for (ConsumerRecord<String, byte[]> record : records) {
                RecordDecoder.Result<RetrievalRequest> decoded =
                        REQUEST_DECODER.decode(record.value());
                if (decoded instanceof RecordDecoder.Failed<RetrievalRequest> failed) {
                    deadLetters.add(
                            deadLetter(record, failed.reason().name(), failed.explanation()));
                    continue;
                }
                RetrievalRequest request =
                        ((RecordDecoder.Decoded<RetrievalRequest>) decoded).value();
                if (request == null) {
                    deadLetters.add(
                            deadLetter(record, "INVALID_REQUEST", "a tombstone is not a request"));
                    continue;
                }
                if (request.getUserId().length() > 256 || request.getRequestId().length() > 256) {
                    deadLetters.add(
                            deadLetter(
                                    record,
                                    "INVALID_REQUEST",
                                    "userId and requestId must be at most 256 characters"));
                    continue;
                }
                String id = request.getRequestId().toString();
                if (answered.containsKey(id) || pendingIds.contains(id)) {
                    metrics.duplicate();
                    continue;
                }
                try {
                    metrics.request("kafka");
                    futures.add(batcher.submit(withLookupRetries(request)));
                    requests.add(request);
                    pendingIds.add(id);
                    submittedIds.add(id);
                } catch (InvalidRequestException e) {
                    deadLetters.add(deadLetter(record, "INVALID_REQUEST", e.getMessage()));
                } catch (UnknownUserException e) {
                    deadLetters.add(deadLetter(record, "UNKNOWN_USER", e.getMessage()));
                }
            }
        } catch (RuntimeException | InterruptedException e) {
            submittedIds.forEach(pendingIds::remove);
            throw e;
        }
        return new InFlight(offsets, deadLetters, requests, futures, received);
    }

    /**
     * Publishes the results and dead letters of consecutive batches with their offsets, in one
     * transaction.
     */
    private void finish(List<InFlight> batches)
            throws InterruptedException, ExecutionException, TimeoutException {
        List<ProducerRecord<String, byte[]>> out = new ArrayList<>();
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        List<InFlight> committed = new ArrayList<>();
        OverloadedException overloaded = null;
        for (InFlight batch : batches) {
            List<ProducerRecord<String, byte[]>> answers = new ArrayList<>();
            try {
                results(batch, answers);
            } catch (OverloadedException e) {
                // The batches before it are answered: they go out, this one is read again.
                overloaded = e;
                break;
            }
            out.addAll(answers);
            offsets.putAll(batch.offsets()); // later batches read further
            committed.add(batch);
        }
        if (!committed.isEmpty()) {
            commit(offsets, out);
        }
        for (InFlight batch : committed) {
            for (RetrievalRequest request : batch.requests()) {
                String id = request.getRequestId().toString();
                answered.put(id, Boolean.TRUE);
                pendingIds.remove(id);
            }
        }
        if (overloaded != null) {
            throw overloaded;
        }
    }

    /** A batch's dead letters, then its results in request order. */
    private void results(InFlight batch, List<ProducerRecord<String, byte[]>> out)
            throws InterruptedException, ExecutionException, TimeoutException {
        out.addAll(batch.deadLetters());
        for (int i = 0; i < batch.futures().size(); i++) {
            RetrievalRequest request = batch.requests().get(i);
            // A failed search is the model failing, not the request: fatal, never a dead letter.
            BeamResult result;
            try {
                result =
                        batch.futures()
                                .get(i)
                                .get(SEARCH_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof OverloadedException overloaded) {
                    throw overloaded; // back-pressure: this batch is read again after a pause
                }
                throw e;
            }
            out.add(
                    new ProducerRecord<>(
                            Topics.RECOMMENDATIONS.name(),
                            request.getUserId(),
                            Topics.RECOMMENDATIONS
                                    .valueSerde()
                                    .serializer()
                                    .serialize(
                                            Topics.RECOMMENDATIONS.name(),
                                            RequestTranslator.toRecord(
                                                    request.getRequestId(),
                                                    request.getUserId(),
                                                    result,
                                                    modelVersion,
                                                    request.getRequestedAt(),
                                                    batch.received()))));
        }
    }

    private io.sidstream.retrieval.beam.BeamRequest withLookupRetries(RetrievalRequest request)
            throws InterruptedException {
        for (int attempt = 1; ; attempt++) {
            try {
                return translator.toBeamRequest(request);
            } catch (TransientException e) {
                if (attempt >= LOOKUP_TRIES) {
                    throw e;
                }
                Thread.sleep(250L * attempt);
            }
        }
    }

    private void commit(
            Map<TopicPartition, OffsetAndMetadata> offsets,
            List<ProducerRecord<String, byte[]>> out) {
        try {
            transactional.beginTransaction();
            for (ProducerRecord<String, byte[]> r : out) {
                transactional.send(r);
            }
            transactional.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
            transactional.commitTransaction();
        } catch (ProducerFencedException e) {
            throw e; // another instance owns these partitions now: fatal for this one
        } catch (KafkaException e) {
            try {
                transactional.abortTransaction();
            } catch (KafkaException abortFailed) {
                throw e; // the producer is unusable: fatal
            }
            throw new TransientException("results not written, batch will be read again", e);
        }
    }

    /** Back to the last committed offsets, so an unserved batch is read again. */
    private void rewind() {
        var assigned = consumer.assignment();
        Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(assigned);
        for (TopicPartition tp : assigned) {
            OffsetAndMetadata at = committed.get(tp);
            if (at != null) {
                consumer.seek(tp, at);
            } else {
                consumer.seekToBeginning(List.of(tp));
            }
        }
    }

    private ProducerRecord<String, byte[]> deadLetter(
            ConsumerRecord<String, byte[]> record, String errorClass, String reason) {
        metrics.deadLetter(errorClass);
        LOG.debug(
                "request {}-{}@{} to DLQ: {} {}",
                record.topic(),
                record.partition(),
                record.offset(),
                errorClass,
                DeadLetters.boundedText(reason));
        DeadLetter letter =
                DeadLetters.of(
                        new Provenance(record.topic(), record.partition(), record.offset()),
                        record.key(),
                        record.value(),
                        errorClass,
                        reason,
                        application,
                        Instant.now());
        return new ProducerRecord<>(
                Topics.RETRIEVAL_REQUESTS_DLQ.name(),
                record.key(),
                Topics.RETRIEVAL_REQUESTS_DLQ
                        .valueSerde()
                        .serializer()
                        .serialize(Topics.RETRIEVAL_REQUESTS_DLQ.name(), letter));
    }

    @Override
    public void close() {
        running.set(false);
        consumer.wakeup();
        try {
            thread.join(15_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        direct.close(Duration.ofSeconds(5));
    }
}
