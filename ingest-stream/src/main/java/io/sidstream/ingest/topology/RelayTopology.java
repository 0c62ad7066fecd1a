package io.sidstream.ingest.topology;

import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;

import java.util.List;
import java.util.Map;

/**
 * The relay of {@link InputRouting#RELAY}: copies each input topic, stamped with every record's
 * source position, onto its relay topic partitioned by Kafka Streams' own partitioner, so every
 * record of a key reaches one owner whatever partitioner its producer used. Stateless and run
 * at-least-once in its own application: its records are readable as soon as they are written.
 */
public final class RelayTopology {
    /** One input: the topic producers write to and the name of its hop. */
    public record Route(String source, String name) {}

    /**
     * The largest record the relay writes: an input record at the default 1 MB limit, with room for
     * the headers the relay adds. The relay topics take a batch of it with room to spare.
     */
    public static final int MAX_RECORD_BYTES = 2 * 1024 * 1024;

    private static final int TOPIC_MAX_MESSAGE_BYTES = MAX_RECORD_BYTES + 64 * 1024;

    /**
     * Relay topics keep records until the owners have applied them (then ingest deletes them, as
     * Kafka Streams deletes repartition records), and take a record of {@link #MAX_RECORD_BYTES}.
     */
    public static final Map<String, String> TOPIC_CONFIGS =
            Map.of(
                    TopicConfig.RETENTION_MS_CONFIG,
                    "-1",
                    TopicConfig.CLEANUP_POLICY_CONFIG,
                    TopicConfig.CLEANUP_POLICY_DELETE,
                    TopicConfig.MAX_MESSAGE_BYTES_CONFIG,
                    Integer.toString(TOPIC_MAX_MESSAGE_BYTES));

    private RelayTopology() {}

    /** The relay application's id, beside the owners' {@code applicationId}. */
    public static String applicationId(String applicationId) {
        return applicationId + "-relay";
    }

    /** The topic a route's relay writes and its owner reads. */
    public static String relayTopic(String applicationId, String name) {
        return InputRouting.RELAY.hopTopic(applicationId, name);
    }

    /**
     * The owner's store of a route's applied positions (key and source partition -> source offset);
     * its changelog is {@code <app>-<store>-changelog}.
     */
    public static String positionsStore(String name) {
        return name + "-relay-positions";
    }

    public static Topology build(String applicationId, List<Route> routes) {
        StreamsBuilder builder = new StreamsBuilder();
        for (Route route : routes) {
            builder.stream(
                            route.source(),
                            Consumed.with(Serdes.String(), Serdes.ByteArray())
                                    .withName(route.name() + "-relay-source"))
                    .process(
                            InputRoutes.ProvenanceStamp::new,
                            Named.as(route.name() + "-relay-stamp"))
                    .to(
                            relayTopic(applicationId, route.name()),
                            Produced.with(Serdes.String(), Serdes.ByteArray())
                                    .withName(route.name() + "-relay-sink"));
        }
        return builder.build();
    }
}
