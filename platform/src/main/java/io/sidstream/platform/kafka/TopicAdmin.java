package io.sidstream.platform.kafka;

import io.sidstream.platform.SidstreamException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Small admin operations shared by the apps and the launcher; failures become {@link
 * SidstreamException}.
 */
public final class TopicAdmin {
    private static final long TIMEOUT_SECONDS = 30;

    private TopicAdmin() {}

    /**
     * Partition count of an existing topic. A topic created a moment ago may not be known to every
     * broker yet, so "unknown topic" is retried for a few seconds before it counts as an answer.
     */
    public static int partitions(Admin admin, String topic) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try {
                return await(
                                () ->
                                        admin.describeTopics(List.of(topic))
                                                .allTopicNames()
                                                .get(TIMEOUT_SECONDS, TimeUnit.SECONDS),
                                "describe " + topic)
                        .get(topic)
                        .partitions()
                        .size();
            } catch (SidstreamException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)
                        || System.nanoTime() > deadline) {
                    throw e;
                }
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SidstreamException("interrupted: describe " + topic, e);
            }
        }
    }

    /** Whether a topic exists. */
    public static boolean exists(Admin admin, String topic) {
        return await(
                        () -> admin.listTopics().names().get(TIMEOUT_SECONDS, TimeUnit.SECONDS),
                        "list topics")
                .contains(topic);
    }

    /** Creates the topics that do not exist yet; returns how many it created. */
    public static int createMissing(Admin admin, List<NewTopic> topics) {
        Set<String> existing =
                await(
                        () -> admin.listTopics().names().get(TIMEOUT_SECONDS, TimeUnit.SECONDS),
                        "list topics");
        List<NewTopic> missing = topics.stream().filter(t -> !existing.contains(t.name())).toList();
        if (!missing.isEmpty()) {
            await(
                    () -> admin.createTopics(missing).all().get(TIMEOUT_SECONDS, TimeUnit.SECONDS),
                    "create " + missing.stream().map(NewTopic::name).toList());
        }
        return missing.size();
    }

    private interface Call<T> {
        T call() throws InterruptedException, ExecutionException, TimeoutException;
    }

    private static <T> T await(Call<T> call, String what) {
        try {
            return call.call();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SidstreamException("interrupted: " + what, e);
        } catch (ExecutionException e) {
            throw new SidstreamException(
                    "cannot " + what + ": " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new SidstreamException("timed out after " + TIMEOUT_SECONDS + "s: " + what, e);
        }
    }
}
