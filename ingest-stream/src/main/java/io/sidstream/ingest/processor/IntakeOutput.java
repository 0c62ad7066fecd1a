package io.sidstream.ingest.processor;

import io.sidstream.ingest.v1.PrefixCommand;
import io.sidstream.schemas.v1.DeadLetter;
import io.sidstream.schemas.v1.ItemSid;

/** What the item intake processor emits; the topology routes each kind to its topic. */
public sealed interface IntakeOutput {

    /** A rejected input, for the dead-letter topic. */
    record Rejected(DeadLetter deadLetter) implements IntakeOutput {}

    /** A new SID for {@code items.sid.v1}, or a delisting ({@code sid == null}). */
    record Assigned(ItemSid sid) implements IntakeOutput {}

    /**
     * The accepted bytes of an item whose content changed, for {@code items.catalog.v1}, or a
     * delisting ({@code value == null}).
     */
    record Cataloged(byte[] value) implements IntakeOutput {}

    /** A claim or release for the owner of an SID prefix (record key = prefix). */
    record Command(PrefixCommand command) implements IntakeOutput {}
}
