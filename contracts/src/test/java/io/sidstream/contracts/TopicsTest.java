package io.sidstream.contracts;

import org.apache.kafka.common.serialization.Serdes;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TopicsTest {

    @Test
    void shouldDeclareEachTopicOnce() {
        Set<String> names = Topics.all().stream().map(TopicSpec::name).collect(Collectors.toSet());
        assertThat(names).hasSize(Topics.all().size());
    }

    @Test
    void shouldGiveEveryInputTopicADeadLetterTopic() {
        for (TopicSpec<?, ?> input :
                java.util.List.of(Topics.ITEMS, Topics.INTERACTIONS, Topics.RETRIEVAL_REQUESTS)) {
            assertThat(Topics.byName(input.name() + ".dlq")).as(input.name()).isPresent();
        }
    }

    @Test
    void shouldCompactTablesAndKeepThemForever() {
        assertThat(Topics.ITEM_SIDS.configs())
                .containsEntry("cleanup.policy", "compact")
                .containsEntry("retention.ms", "-1");
        assertThat(Topics.USER_HISTORIES.cleanupPolicy()).isEqualTo(CleanupPolicy.COMPACT);
        assertThat(Topics.ITEMS.configs())
                .containsEntry("cleanup.policy", "delete")
                .containsEntry("retention.ms", Long.toString(7L * 24 * 3600 * 1000));
    }

    @Test
    void shouldRejectUnversionedNames() {
        assertThatThrownBy(
                        () ->
                                new TopicSpec<>(
                                        "items",
                                        Serdes.String(),
                                        Serdes.String(),
                                        1,
                                        CleanupPolicy.DELETE,
                                        null,
                                        "x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("<domain>.<entity>.v<N>");
    }

    @Test
    void shouldNameASidSpacesOwnCompactedTableAfterTheSpace() {
        TopicSpec<String, ?> space = Topics.spaceSids("movietweetings-100k-7931d066bcad");
        assertThat(space.name()).isEqualTo("items.sid.v1.movietweetings-100k-7931d066bcad");
        assertThat(space.cleanupPolicy()).isEqualTo(Topics.ITEM_SIDS.cleanupPolicy());
        assertThat(space.partitions()).isEqualTo(Topics.ITEM_SIDS.partitions());
        for (String bad : List.of("", "a.b", "a b", "dlq")) {
            assertThatThrownBy(() -> Topics.spaceSids(bad))
                    .as(bad)
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void shouldBuildAdminTopicsWithCatalogueSettings() {
        var topic = Topics.ITEM_SIDS.toNewTopic((short) 3);
        assertThat(topic.name()).isEqualTo("items.sid.v1");
        assertThat(topic.numPartitions()).isEqualTo(Topics.DEFAULT_PARTITIONS);
        assertThat(topic.configs()).containsEntry("cleanup.policy", "compact");
    }
}
