package io.sidstream.datasets;

import java.util.Objects;

/**
 * One user-item interaction of an interactions file.
 *
 * @param userId user id
 * @param itemId item id
 * @param eventType interaction type name (e.g. {@code RATING}, {@code PURCHASE})
 * @param value optional magnitude (rating, quantity), {@code NaN} when absent
 * @param timestampMillis event time, Unix epoch milliseconds
 */
public record Interaction(
        String userId, String itemId, String eventType, double value, long timestampMillis) {

    public Interaction {
        Objects.requireNonNull(userId, "userId");
        Objects.requireNonNull(itemId, "itemId");
        Objects.requireNonNull(eventType, "eventType");
    }
}
