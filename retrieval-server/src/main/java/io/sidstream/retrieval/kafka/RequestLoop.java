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
 * instance answered recently, or twice in one polled batch, is answered once.
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
        consumer.subscribe(List.of(Topics.RETRIEVAL_REQUESTS.name()));
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
                ConsumerRecords<String, byte[]> records = consumer.poll(Duration.ofMillis(100));
                reportLag();
                if (records.isEmpty()) {
                    continue;
                }
                try {
                    serve(records);
                    backoff = Duration.ofMillis(200);
                } catch (TransientException e) {
                    LOG.warn(
                            "request batch not served, retrying in {} ms: {}",
                            backoff.toMillis(),
                            e.getMessage());
                    metrics.retried();
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
            consumer.close();
            transactional.close(Duration.ofSeconds(5));
        }
    }

    /** One batch in one transaction; throws TransientException to have it read again. */
    private void serve(ConsumerRecords<String, byte[]> records)
            throws InterruptedException, ExecutionException, TimeoutException {
        List<ConsumerRecord<String, byte[]>> accepted = new ArrayList<>();
        List<RetrievalRequest> requests = new ArrayList<>();
        List<CompletableFuture<BeamResult>> futures = new ArrayList<>();
        List<ProducerRecord<String, byte[]>> out = new ArrayList<>();
        Instant received = Instant.now();
        java.util.Set<String> inThisBatch = new java.util.HashSet<>();
        for (ConsumerRecord<String, byte[]> record : records) {
            RecordDecoder.Result<RetrievalRequest> decoded = REQUEST_DECODER.decode(record.value());
            if (decoded instanceof RecordDecoder.Failed<RetrievalRequest> failed) {
                out.add(deadLetter(record, failed.reason().name(), failed.explanation()));
                continue;
            }
            RetrievalRequest request = ((RecordDecoder.Decoded<RetrievalRequest>) decoded).value();
            if (request == null) {
                out.add(deadLetter(record, "INVALID_REQUEST", "a tombstone is not a request"));
                continue;
            }
            if (request.getUserId().length() > 256 || request.getRequestId().length() > 256) {
                out.add(
                        deadLetter(
                                record,
                                "INVALID_REQUEST",
                                "userId and requestId must be at most 256 characters"));
                continue;
            }
            // Answered before, or earlier in this batch: a copy sent twice in a row is answered
            // once, as one sent again later is.
            if (answered.containsKey(request.getRequestId())
                    || !inThisBatch.add(request.getRequestId())) {
                metrics.duplicate();
                continue;
            }
            try {
                metrics.request("kafka");
                futures.add(batcher.submit(withLookupRetries(request)));
                requests.add(request);
                accepted.add(record);
            } catch (InvalidRequestException e) {
                out.add(deadLetter(record, "INVALID_REQUEST", e.getMessage()));
            } catch (UnknownUserException e) {
                out.add(deadLetter(record, "UNKNOWN_USER", e.getMessage()));
            }
        }
        for (int i = 0; i < futures.size(); i++) {
            RetrievalRequest request = requests.get(i);
            // A failed search is the model failing, not the request: fatal, never a dead letter.
            BeamResult result;
            try {
                result = futures.get(i).get(SEARCH_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
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
                                                    received))));
        }
        commit(records, out);
        for (RetrievalRequest request : requests) {
            answered.put(request.getRequestId(), Boolean.TRUE);
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
            ConsumerRecords<String, byte[]> records, List<ProducerRecord<String, byte[]>> out) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (TopicPartition tp : records.partitions()) {
            List<ConsumerRecord<String, byte[]>> part = records.records(tp);
            offsets.put(tp, new OffsetAndMetadata(part.get(part.size() - 1).offset() + 1));
        }
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
