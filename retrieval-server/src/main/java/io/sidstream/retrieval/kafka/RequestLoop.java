package io.sidstream.retrieval.kafka;

import io.sidstream.contracts.Topics;
import io.sidstream.platform.SidstreamException;
import io.sidstream.platform.errors.DeadLetters;
import io.sidstream.platform.errors.Provenance;
import io.sidstream.platform.errors.RecordDecoder;
import io.sidstream.retrieval.RetrievalMetrics;
import io.sidstream.retrieval.batch.MicroBatcher;
import io.sidstream.retrieval.beam.BeamResult;
import io.sidstream.retrieval.request.InvalidRequestException;
import io.sidstream.retrieval.request.RequestTranslator;
import io.sidstream.schemas.v1.DeadLetter;
import io.sidstream.schemas.v1.Recommendations;
import io.sidstream.schemas.v1.RetrievalRequest;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
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
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Serves {@code retrieval.requests.v1}: each polled batch is searched (through the micro-batcher),
 * its results (or dead letters for malformed requests and failed searches) are produced, and only
 * then are the offsets committed, so a crash redelivers requests instead of losing them. Results
 * are keyed by user and carry the request id, so redelivered duplicates are recognisable.
 */
public final class RequestLoop implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RequestLoop.class);
    private static final RecordDecoder<RetrievalRequest> REQUEST_DECODER =
            RecordDecoder.of(Topics.RETRIEVAL_REQUESTS);

    private final KafkaConsumer<String, byte[]> consumer;
    private final KafkaProducer<String, byte[]> producer;
    private final MicroBatcher batcher;
    private final RequestTranslator translator;
    private final String modelVersion;
    private final String application;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final RetrievalMetrics metrics;
    private final Thread thread;

    public RequestLoop(
            Properties kafka,
            String groupId,
            MicroBatcher batcher,
            RequestTranslator translator,
            String modelVersion,
            RetrievalMetrics metrics) {
        this.metrics = metrics;
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
        this.producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
        this.batcher = batcher;
        this.translator = translator;
        this.modelVersion = modelVersion;
        this.application = groupId;
        this.thread = new Thread(this::run, "retrieval-request-loop");
    }

    public void start() {
        consumer.subscribe(List.of(Topics.RETRIEVAL_REQUESTS.name()));
        thread.start();
    }

    /** Publishes a result computed outside the loop (e.g. for an HTTP request). */
    public void publish(String userId, Recommendations recommendations) {
        producer.send(
                new ProducerRecord<>(
                        Topics.RECOMMENDATIONS.name(),
                        userId,
                        Topics.RECOMMENDATIONS
                                .valueSerde()
                                .serializer()
                                .serialize(Topics.RECOMMENDATIONS.name(), recommendations)));
    }

    private void run() {
        try {
            while (running.get()) {
                var records = consumer.poll(Duration.ofMillis(100));
                if (records.isEmpty()) {
                    continue;
                }
                List<ConsumerRecord<String, byte[]>> accepted = new ArrayList<>();
                List<RetrievalRequest> requests = new ArrayList<>();
                List<CompletableFuture<BeamResult>> futures = new ArrayList<>();
                Instant received = Instant.now();
                for (ConsumerRecord<String, byte[]> record : records) {
                    RecordDecoder.Result<RetrievalRequest> decoded =
                            REQUEST_DECODER.decode(record.value());
                    if (decoded instanceof RecordDecoder.Failed<RetrievalRequest> failed) {
                        deadLetter(record, failed.reason().name(), failed.explanation());
                        continue;
                    }
                    try {
                        RetrievalRequest request =
                                ((RecordDecoder.Decoded<RetrievalRequest>) decoded).value();
                        if (request == null) {
                            throw new InvalidRequestException("tombstone is not a request");
                        }
                        metrics.request("kafka");
                        futures.add(batcher.submit(translator.toBeamRequest(request)));
                        requests.add(request);
                        accepted.add(record);
                    } catch (InvalidRequestException e) {
                        deadLetter(record, "INVALID_REQUEST", e.getMessage());
                    } catch (SidstreamException e) {
                        deadLetter(record, "HISTORY_LOOKUP_FAILED", e.getMessage());
                    }
                }
                for (int i = 0; i < futures.size(); i++) {
                    RetrievalRequest request = requests.get(i);
                    try {
                        BeamResult result = futures.get(i).get();
                        publish(
                                request.getUserId(),
                                RequestTranslator.toRecord(
                                        request.getRequestId(),
                                        request.getUserId(),
                                        result,
                                        modelVersion,
                                        request.getRequestedAt(),
                                        received));
                    } catch (ExecutionException e) {
                        deadLetter(accepted.get(i), "SEARCH_FAILED", String.valueOf(e.getCause()));
                    }
                }
                producer.flush();
                consumer.commitSync();
            }
        } catch (WakeupException e) {
            // close()
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.error("request loop stopped; uncommitted requests will be redelivered", e);
        } finally {
            consumer.close();
        }
    }

    private void deadLetter(
            ConsumerRecord<String, byte[]> record, String errorClass, String reason) {
        metrics.deadLetter(errorClass);
        LOG.warn(
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
        producer.send(
                new ProducerRecord<>(
                        Topics.RETRIEVAL_REQUESTS_DLQ.name(),
                        record.key(),
                        Topics.RETRIEVAL_REQUESTS_DLQ
                                .valueSerde()
                                .serializer()
                                .serialize(Topics.RETRIEVAL_REQUESTS_DLQ.name(), letter)));
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
        producer.close(Duration.ofSeconds(10));
    }
}
