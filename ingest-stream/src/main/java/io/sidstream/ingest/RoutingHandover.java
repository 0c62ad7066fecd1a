package io.sidstream.ingest;

import io.sidstream.ingest.topology.InputRouting;
import io.sidstream.ingest.topology.RelayTopology;
import io.sidstream.platform.SidstreamException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.errors.GroupNotEmptyException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

/**
 * Carries the input positions across a change of {@link InputRouting}, so that switching an
 * application between {@code RELAY} (the relay group reads the inputs) and {@code REPARTITION} or
 * {@code AS_PRODUCED} (the owners' group reads them) neither re-applies nor skips a record.
 *
 * <ul>
 *   <li>To RELAY, when the relay group has no positions on the inputs but the owners have: the
 *       relay starts where the owners stopped, once the owners have applied everything in the old
 *       repartition topics.
 *   <li>From RELAY, when the relay has copied further than the owners' own input positions: the
 *       owners start where the relay stopped, once they have applied everything in the relay
 *       topics; the relay's positions are then removed, so a later switch back seeds it afresh.
 * </ul>
 *
 * Either way every instance of the application must be stopped first (the topology changes); a
 * switch with work still in flight is refused with what to do.
 */
final class RoutingHandover {
    private static final Logger LOG = LoggerFactory.getLogger(RoutingHandover.class);
    private static final long TIMEOUT_S = 30;

    private RoutingHandover() {}

    /**
     * @param routes the inputs with their hop names, as the relay would copy them
     */
    static void prepare(
            Admin admin,
            String applicationId,
            InputRouting routing,
            List<RelayTopology.Route> routes) {
        try {
            String relayGroup = RelayTopology.applicationId(applicationId);
            Set<String> sources =
                    routes.stream().map(RelayTopology.Route::source).collect(Collectors.toSet());
            Map<TopicPartition, Long> owners = offsets(admin, applicationId);
            Map<TopicPartition, Long> relay = offsets(admin, relayGroup);
            Map<TopicPartition, Long> ownersOnInputs = onTopics(owners, sources);
            Map<TopicPartition, Long> relayOnInputs = onTopics(relay, sources);
            if (routing == InputRouting.RELAY) {
                if (relayOnInputs.isEmpty() && !ownersOnInputs.isEmpty()) {
                    List<String> hops = new ArrayList<>();
                    routes.forEach(
                            r ->
                                    hops.add(
                                            InputRouting.REPARTITION.hopTopic(
                                                    applicationId, r.name())));
                    requireApplied(admin, owners, hops, applicationId, "REPARTITION");
                    try {
                        alter(admin, relayGroup, ownersOnInputs);
                    } catch (ExecutionException e) {
                        if (e.getCause() instanceof GroupNotEmptyException) {
                            return; // another instance seeded the relay and started it
                        }
                        throw e;
                    }
                    LOG.info(
                            "input routing switched to RELAY application={}: the relay starts"
                                    + " where the owners stopped partitions={}",
                            applicationId,
                            ownersOnInputs.size());
                }
                return;
            }
            Map<TopicPartition, Long> ahead = new HashMap<>();
            relayOnInputs.forEach(
                    (tp, offset) -> {
                        if (offset > ownersOnInputs.getOrDefault(tp, -1L)) {
                            ahead.put(tp, offset);
                        }
                    });
            if (!ahead.isEmpty()) {
                List<String> hops = new ArrayList<>();
                routes.forEach(r -> hops.add(InputRouting.RELAY.hopTopic(applicationId, r.name())));
                requireApplied(admin, owners, hops, applicationId, "RELAY");
                alter(admin, applicationId, ahead);
                LOG.info(
                        "input routing switched to {} application={}: the owners start where the"
                                + " relay stopped partitions={}",
                        routing,
                        applicationId,
                        ahead.size());
            }
            if (!relayOnInputs.isEmpty()) {
                admin.deleteConsumerGroups(List.of(relayGroup))
                        .all()
                        .get(TIMEOUT_S, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SidstreamException("interrupted while checking the input routing", e);
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            if (cause instanceof GroupNotEmptyException) {
                throw new SidstreamException(
                        "the input routing of "
                                + applicationId
                                + " changed to "
                                + routing
                                + " while instances still run with the old one; stop every"
                                + " instance, then start them with the new routing",
                        cause);
            }
            throw new SidstreamException(
                    "could not carry the input positions of " + applicationId + " over: " + cause,
                    cause);
        }
    }

    /** Fails unless the owners have applied every record of the hop topics that exist. */
    private static void requireApplied(
            Admin admin,
            Map<TopicPartition, Long> owners,
            List<String> hops,
            String applicationId,
            String previous)
            throws ExecutionException, InterruptedException, TimeoutException {
        Set<String> existing = admin.listTopics().names().get(TIMEOUT_S, TimeUnit.SECONDS);
        List<String> present = hops.stream().filter(existing::contains).toList();
        if (present.isEmpty()) {
            return;
        }
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
        admin.describeTopics(present)
                .allTopicNames()
                .get(TIMEOUT_S, TimeUnit.SECONDS)
                .forEach(
                        (name, d) ->
                                d.partitions()
                                        .forEach(
                                                p -> {
                                                    TopicPartition tp =
                                                            new TopicPartition(name, p.partition());
                                                    latest.put(tp, OffsetSpec.latest());
                                                    earliest.put(tp, OffsetSpec.earliest());
                                                }));
        Map<TopicPartition, Long> ends = listOffsets(admin, latest);
        Map<TopicPartition, Long> starts = listOffsets(admin, earliest);
        long waiting = 0;
        for (Map.Entry<TopicPartition, Long> end : ends.entrySet()) {
            long applied = owners.getOrDefault(end.getKey(), starts.get(end.getKey()));
            waiting += Math.max(0, end.getValue() - applied);
        }
        if (waiting > 0) {
            throw new SidstreamException(
                    "cannot switch the input routing of "
                            + applicationId
                            + ": "
                            + waiting
                            + " records of "
                            + present
                            + " are not applied yet. Stop the producers (or wait for a quiet"
                            + " moment), start the instances once more with"
                            + " SIDSTREAM_INGEST_INPUT_ROUTING="
                            + previous
                            + " until their lag on those topics is 0, stop them, then switch");
        }
    }

    private static Map<TopicPartition, Long> listOffsets(
            Admin admin, Map<TopicPartition, OffsetSpec> specs)
            throws ExecutionException, InterruptedException, TimeoutException {
        Map<TopicPartition, Long> out = new HashMap<>();
        admin.listOffsets(specs)
                .all()
                .get(TIMEOUT_S, TimeUnit.SECONDS)
                .forEach((tp, info) -> out.put(tp, info.offset()));
        return out;
    }

    private static Map<TopicPartition, Long> offsets(Admin admin, String group)
            throws ExecutionException, InterruptedException, TimeoutException {
        Map<TopicPartition, Long> out = new HashMap<>();
        try {
            Map<TopicPartition, OffsetAndMetadata> committed =
                    admin.listConsumerGroupOffsets(group)
                            .partitionsToOffsetAndMetadata()
                            .get(TIMEOUT_S, TimeUnit.SECONDS);
            committed.forEach(
                    (tp, o) -> {
                        if (o != null) {
                            out.put(tp, o.offset());
                        }
                    });
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof GroupIdNotFoundException)) {
                throw e;
            }
        }
        return out;
    }

    private static Map<TopicPartition, Long> onTopics(
            Map<TopicPartition, Long> offsets, Set<String> topics) {
        Map<TopicPartition, Long> out = new HashMap<>();
        offsets.forEach(
                (tp, o) -> {
                    if (topics.contains(tp.topic())) {
                        out.put(tp, o);
                    }
                });
        return out;
    }

    private static void alter(Admin admin, String group, Map<TopicPartition, Long> offsets)
            throws ExecutionException, InterruptedException, TimeoutException {
        Map<TopicPartition, OffsetAndMetadata> request = new HashMap<>();
        offsets.forEach((tp, o) -> request.put(tp, new OffsetAndMetadata(o)));
        admin.alterConsumerGroupOffsets(group, request).all().get(TIMEOUT_S, TimeUnit.SECONDS);
    }
}
