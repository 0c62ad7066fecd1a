package io.sidstream.ingest.processor;

import io.sidstream.ingest.store.IngestStores;
import io.sidstream.ingest.v1.PrefixCommand;
import io.sidstream.ingest.v1.PrefixCommandType;
import io.sidstream.ingest.v1.PrefixSlots;
import io.sidstream.ingest.v1.SidConfirmation;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

import java.util.ArrayList;
import java.util.List;

/**
 * The owner of SID prefixes (input keyed by prefix): every claim on a prefix meets here, so
 * collision codes are unique among live items by construction, not by luck.
 *
 * <p>ASSIGN gives an item the code it already holds in the prefix (idempotent replays and
 * re-encodings) or else the smallest free code; when all {@code collisionCodes} codes are held the
 * answer is a rejection, which the item's owner sends to the dead-letter topic (reason
 * PREFIX_FULL): an item never shares a full SID and never gets a code the decoder cannot emit.
 * RELEASE frees the item's code for reuse.
 */
public final class CollisionProcessor
        implements Processor<String, PrefixCommand, String, SidConfirmation> {
    private final int collisionCodes;
    private ProcessorContext<String, SidConfirmation> context;
    private KeyValueStore<String, PrefixSlots> slots;

    public CollisionProcessor(int collisionCodes) {
        this.collisionCodes = collisionCodes;
    }

    @Override
    public void init(ProcessorContext<String, SidConfirmation> context) {
        this.context = context;
        this.slots = context.getStateStore(IngestStores.PREFIX_SLOTS);
    }

    @Override
    public void process(Record<String, PrefixCommand> record) {
        PrefixCommand command = record.value();
        PrefixSlots current = slots.get(record.key());
        List<String> items =
                current == null ? new ArrayList<>() : new ArrayList<>(current.getItems());
        List<Integer> codes =
                current == null ? new ArrayList<>() : new ArrayList<>(current.getCodes());
        int index = items.indexOf(command.getItemId());
        if (command.getType() == PrefixCommandType.RELEASE) {
            if (index >= 0) {
                items.remove(index);
                codes.remove(index);
                save(record.key(), items, codes);
            }
            return;
        }
        SidConfirmation.Builder answer =
                SidConfirmation.newBuilder()
                        .setItemId(command.getItemId())
                        .setSeq(command.getSeq())
                        .setEventTime(command.getEventTime())
                        .setReceivedAt(command.getReceivedAt())
                        .setReplyPartition(command.getReplyPartition());
        int code;
        if (index >= 0) {
            code = codes.get(index);
        } else {
            code = smallestFree(codes);
            if (code >= collisionCodes) {
                answer.setRejection(
                        "all "
                                + collisionCodes
                                + " collision codes of SID prefix "
                                + record.key()
                                + " are held by live items");
                context.forward(record.withKey(command.getItemId()).withValue(answer.build()));
                return;
            }
            items.add(command.getItemId());
            codes.add(code);
            save(record.key(), items, codes);
        }
        List<Integer> sid = new ArrayList<>(command.getCodes());
        sid.add(code);
        context.forward(record.withKey(command.getItemId()).withValue(answer.setSid(sid).build()));
    }

    private void save(String prefix, List<String> items, List<Integer> codes) {
        if (items.isEmpty()) {
            slots.delete(prefix);
        } else {
            slots.put(prefix, new PrefixSlots(items, codes));
        }
    }

    static int smallestFree(List<Integer> taken) {
        boolean[] used = new boolean[taken.size() + 1];
        for (int c : taken) {
            if (c < used.length) {
                used[c] = true;
            }
        }
        int code = 0;
        while (used[code]) {
            code++;
        }
        return code;
    }
}
