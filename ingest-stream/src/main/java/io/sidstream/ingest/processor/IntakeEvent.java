package io.sidstream.ingest.processor;

import io.sidstream.ingest.v1.SidConfirmation;

/** What the item intake processor consumes: raw item events and the prefix owners' answers. */
public sealed interface IntakeEvent {

    /** Bytes of an {@code items.raw.v1} record; {@code null} value is a delisting. */
    record RawItem(byte[] value) implements IntakeEvent {}

    /** A collision-code answer for an item this instance owns. */
    record Confirmation(SidConfirmation confirmation) implements IntakeEvent {}
}
