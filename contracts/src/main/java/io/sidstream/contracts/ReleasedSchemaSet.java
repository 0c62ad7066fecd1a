package io.sidstream.contracts;

import org.apache.avro.Schema;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A family of schemas released together, frozen as classpath resources {@code
 * <base>/<release>/<File>.avsc}: the public topic contracts, or one application's internal state
 * (store values, changelogs, internal topics). Readers register every released version, so bytes
 * written by an older build keep decoding after a compatible change.
 *
 * @param base resource folder, e.g. {@code /io/sidstream/contracts/released}
 * @param releases release folders, oldest first
 * @param files schema file names; shared named types first, as a parser must see them first
 */
public record ReleasedSchemaSet(String base, List<String> releases, List<String> files) {
    public ReleasedSchemaSet {
        releases = List.copyOf(releases);
        files = List.copyOf(files);
    }

    /** Schemas of one release, by record full name. */
    public Map<String, Schema> release(String release) {
        if (!releases.contains(release)) {
            throw new IllegalArgumentException(
                    "no released schema set '"
                            + release
                            + "' under "
                            + base
                            + "; known: "
                            + releases);
        }
        Schema.Parser parser = new Schema.Parser();
        Map<String, Schema> schemas = new LinkedHashMap<>();
        for (String file : files) {
            String path = base + "/" + release + "/" + file + ".avsc";
            try (InputStream in = ReleasedSchemaSet.class.getResourceAsStream(path)) {
                if (in == null) {
                    continue;
                }
                Schema schema = parser.parse(in);
                schemas.put(schema.getFullName(), schema);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read released schema " + path, e);
            }
        }
        return Collections.unmodifiableMap(schemas);
    }

    /** Every released version of the record with this full name, oldest first. */
    public List<Schema> versionsOf(String fullName) {
        List<Schema> versions = new ArrayList<>();
        for (String release : releases) {
            Schema schema = release(release).get(fullName);
            if (schema != null) {
                versions.add(schema);
            }
        }
        return versions;
    }
}
