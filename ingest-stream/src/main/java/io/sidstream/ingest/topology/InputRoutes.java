package io.sidstream.ingest.topology;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.sidstream.ingest.errors.SourceProvenance;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;

/** Applies an {@link InputRouting} to a raw input stream. */
final class InputRoutes {
    private static final Logger LOG = LoggerFactory.getLogger(InputRoutes.class);
    private static final long WARN_EVERY_MS = 60_000;

    private InputRoutes() {}

    /**
     * The input as the per-key processors should see it.
     *
     * @param topic the input topic producers write to
     * @param sourceName names the source processor
     * @param name names the processors and the hop's topic: {@code <app>-<name>-repartition}, or
     *     {@code <app>-<name>-relay} written by {@link RelayTopology}
     * @param partitions the input topic's partition count (for the placement check), 0 if unknown
     */
    static KStream<String, byte[]> route(
            StreamsBuilder builder,
            String applicationId,
            String topic,
            String sourceName,
            String name,
            InputRouting routing,
            int partitions,
            MeterRegistry registry) {
        Consumed<String, byte[]> consumed =
                Consumed.with(Serdes.String(), Serdes.ByteArray()).withName(sourceName);
        if (routing == InputRouting.RELAY) {
            String positions = RelayTopology.positionsStore(name);
            builder.addStateStore(RelayDedupe.store(positions));
            Counter replays =
                    Counter.builder("sidstream.ingest.relay.replays")
                            .description(
                                    "Records the at-least-once relay delivered again (after a"
                                            + " crash or rebalance) and the owner dropped, already"
                                            + " applied by source partition and offset")
                            .tag("topic", topic)
                            .register(registry);
            return builder.stream(RelayTopology.relayTopic(applicationId, name), consumed)
                    .processValues(
                            () -> new RelayDedupe(topic, positions, replays),
                            Named.as(name + "-relay-dedupe"),
                            positions);
        }
        KStream<String, byte[]> input = builder.stream(topic, consumed);
        if (routing == InputRouting.REPARTITION) {
            return input.process(ProvenanceStamp::new, Named.as(name + "-stamp"))
                    .repartition(
                            Repartitioned.<String, byte[]>as(name)
                                    .withKeySerde(Serdes.String())
                                    .withValueSerde(Serdes.ByteArray()));
        }
        Counter misrouted =
                Counter.builder("sidstream.ingest.input.misrouted")
                        .description(
                                "Input records on another partition than Java's murmur2 of their"
                                        + " key (a non-Java producer's partitioner): per-key state"
                                        + " splits if producers of one key disagree")
                        .tag("topic", topic)
                        .register(registry);
        return input.processValues(
                () -> new PlacementCheck(topic, partitions, misrouted), Named.as(name + "-check"));
    }

    /**
     * Stamps the record's source position into headers, so dead letters keep it. A record without a
     * key would be dropped by the repartition: it travels with an empty key instead, which the
     * owner rejects as MISSING_ID like any blank id.
     */
    static final class ProvenanceStamp implements Processor<String, byte[], String, byte[]> {
        private ProcessorContext<String, byte[]> context;

        @Override
        public void init(ProcessorContext<String, byte[]> context) {
            this.context = context;
        }

        @Override
        public void process(Record<String, byte[]> record) {
            context.recordMetadata()
                    .ifPresent(
                            m ->
                                    SourceProvenance.stamp(
                                            record.headers(),
                                            m.topic(),
                                            m.partition(),
                                            m.offset()));
            context.forward(record.key() == null ? record.withKey("") : record);
        }
    }

    /** Counts records whose partition is not the one Java's partitioner would pick. */
    private static final class PlacementCheck implements FixedKeyProcessor<String, byte[], byte[]> {
        private static final AtomicLong LAST_WARNING = new AtomicLong();
        private final String topic;
        private final int partitions;
        private final Counter misrouted;
        private FixedKeyProcessorContext<String, byte[]> context;

        PlacementCheck(String topic, int partitions, Counter misrouted) {
            this.topic = topic;
            this.partitions = partitions;
            this.misrouted = misrouted;
        }

        @Override
        public void init(FixedKeyProcessorContext<String, byte[]> context) {
            this.context = context;
        }

        @Override
        public void process(FixedKeyRecord<String, byte[]> record) {
            if (partitions > 0 && record.key() != null) {
                int expected =
                        Utils.toPositive(
                                        Utils.murmur2(
                                                record.key().getBytes(StandardCharsets.UTF_8)))
                                % partitions;
                int actual = context.recordMetadata().map(m -> m.partition()).orElse(expected);
                if (actual != expected) {
                    misrouted.increment();
                    long now = System.currentTimeMillis();
                    long last = LAST_WARNING.get();
                    if (now - last > WARN_EVERY_MS && LAST_WARNING.compareAndSet(last, now)) {
                        LOG.warn(
                                "input key on an unexpected partition topic={} key={} partition={}"
                                        + " javaPartition={}: a producer does not use Java's"
                                        + " murmur2 partitioner (librdkafka: set"
                                        + " partitioner=murmur2_random), or set"
                                        + " SIDSTREAM_INGEST_INPUT_ROUTING=REPARTITION",
                                topic,
                                record.key(),
                                actual,
                                expected);
                    }
                }
            }
            context.forward(record);
        }
    }
}
