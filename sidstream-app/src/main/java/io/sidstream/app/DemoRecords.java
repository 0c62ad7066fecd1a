package io.sidstream.app;

import io.sidstream.datasets.CatalogItem;
import io.sidstream.datasets.Interaction;
import io.sidstream.schemas.v1.InteractionEvent;
import io.sidstream.schemas.v1.InteractionType;
import io.sidstream.schemas.v1.ItemEvent;

import java.time.Instant;

/** Dataset rows as topic records, for the local mode and the produce command. */
final class DemoRecords {
    private DemoRecords() {}

    /** An item listed now. */
    static ItemEvent itemEvent(CatalogItem item) {
        return itemEvent(item, Instant.now());
    }

    /** An item listed at {@code listedAt} (its event time). */
    static ItemEvent itemEvent(CatalogItem item, Instant listedAt) {
        return ItemEvent.newBuilder()
                .setItemId(item.itemId())
                .setTitle(item.title())
                .setDescription(item.description())
                .setCategories(item.categories())
                .setBrand(item.brand())
                .setEventTime(listedAt)
                .build();
    }

    static InteractionEvent interactionEvent(Interaction interaction, long sequence) {
        InteractionType type;
        try {
            type = InteractionType.valueOf(interaction.eventType());
        } catch (IllegalArgumentException e) {
            type = InteractionType.OTHER;
        }
        return InteractionEvent.newBuilder()
                .setEventId(
                        interaction.userId()
                                + "-"
                                + interaction.itemId()
                                + "-"
                                + interaction.timestampMillis())
                .setUserId(interaction.userId())
                .setItemId(interaction.itemId())
                .setEventType(type)
                .setValue(Double.isNaN(interaction.value()) ? null : interaction.value())
                .setEventTime(Instant.ofEpochMilli(interaction.timestampMillis()))
                .build();
    }
}
