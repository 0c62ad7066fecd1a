package io.sidstream.contracts;

import org.apache.avro.Schema;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The schemas of every released version, frozen as resources under {@code
 * io/sidstream/contracts/released/<release>/}. Readers register them so records written by older
 * producers keep decoding; the compatibility test checks the current schemas against them.
 *
 * <p>To release: copy {@code src/main/avro/*.avsc} into a new numbered folder and append its number
 * to {@link #RELEASES}.
 */
public final class ReleasedSchemas {
    /** Released schema sets, oldest first. */
    public static final List<String> RELEASES = List.of("1", "2", "3");

    /** Shared named types first: a parser must see them before the records that use them. */
    static final List<String> FILES =
            List.of(
                    "HistoryEntry",
                    "ItemEvent",
                    "ItemSid",
                    "InteractionEvent",
                    "UserHistory",
                    "RetrievalRequest",
                    "Recommendations",
                    "DeadLetter");

    /** The public contracts' releases. */
    public static final ReleasedSchemaSet PUBLIC =
            new ReleasedSchemaSet("/io/sidstream/contracts/released", RELEASES, FILES);

    private static final Map<String, Map<String, Schema>> BY_RELEASE = loadAll();

    private ReleasedSchemas() {}

    /** Schemas of one release, by record full name. */
    public static Map<String, Schema> release(String release) {
        Map<String, Schema> schemas = BY_RELEASE.get(release);
        if (schemas == null) {
            throw new IllegalArgumentException(
                    "no released schema set '" + release + "'; known: " + RELEASES);
        }
        return schemas;
    }

    /** Every released version of the record with this full name, oldest first. */
    public static List<Schema> versionsOf(String fullName) {
        List<Schema> versions = new ArrayList<>();
        for (String release : RELEASES) {
            Schema schema = BY_RELEASE.get(release).get(fullName);
            if (schema != null) {
                versions.add(schema);
            }
        }
        return versions;
    }

    private static Map<String, Map<String, Schema>> loadAll() {
        Map<String, Map<String, Schema>> all = new LinkedHashMap<>();
        for (String release : RELEASES) {
            all.put(release, PUBLIC.release(release));
        }
        return Collections.unmodifiableMap(all);
    }
}
