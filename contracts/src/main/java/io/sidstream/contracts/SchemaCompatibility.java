package io.sidstream.contracts;

import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility.Incompatibility;
import org.apache.avro.SchemaCompatibility.SchemaPairCompatibility;

import java.util.List;

/**
 * Checks that a schema change keeps BACKWARD compatibility: consumers on the new schema can still
 * read every record written with an older released schema (Avro schema resolution, with the new
 * schema as reader and the old one as writer).
 */
public final class SchemaCompatibility {
    private SchemaCompatibility() {}

    /**
     * The reasons {@code newer} cannot read data written with {@code older}; empty when compatible.
     * Each reason names the location in the schema and what is wrong there.
     */
    public static List<String> backwardProblems(Schema newer, Schema older) {
        SchemaPairCompatibility result =
                org.apache.avro.SchemaCompatibility.checkReaderWriterCompatibility(newer, older);
        return result.getResult().getIncompatibilities().stream()
                .map(i -> describe(newer, i))
                .toList();
    }

    private static String describe(Schema reader, Incompatibility incompatibility) {
        return incompatibility.getType()
                + " at "
                + readablePath(reader, incompatibility.getLocation())
                + ": "
                + incompatibility.getMessage();
    }

    /** Turns Avro's JSON pointer ("/fields/1/type") into field names ("ItemEvent.title"). */
    static String readablePath(Schema root, String pointer) {
        StringBuilder path = new StringBuilder(root.getName());
        Schema current = root;
        String[] parts = pointer.split("/");
        for (int i = 0; i < parts.length; i++) {
            if (parts[i].equals("fields")
                    && i + 1 < parts.length
                    && current.getType() == Schema.Type.RECORD) {
                int index = Integer.parseInt(parts[++i]);
                if (index < current.getFields().size()) {
                    Schema.Field field = current.getFields().get(index);
                    path.append('.').append(field.name());
                    current = field.schema();
                }
            } else if (parts[i].equals("items") && current.getType() == Schema.Type.ARRAY) {
                path.append("[]");
                current = current.getElementType();
            }
        }
        return path + " (" + pointer + ")";
    }
}
