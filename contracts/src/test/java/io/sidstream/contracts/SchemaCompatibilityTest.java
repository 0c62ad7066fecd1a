package io.sidstream.contracts;

import io.sidstream.schemas.v1.ItemEvent;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class SchemaCompatibilityTest {

    @Test
    void shouldKeepEveryCurrentSchemaBackwardCompatibleWithEveryRelease() {
        for (SpecificRecord sample : SampleRecords.all().values()) {
            Schema current = sample.getSchema();
            assertThat(ReleasedSchemas.versionsOf(current.getFullName()))
                    .as("%s has been released", current.getFullName())
                    .isNotEmpty();
            for (Schema released : ReleasedSchemas.versionsOf(current.getFullName())) {
                assertThat(SchemaCompatibility.backwardProblems(current, released))
                        .as("reading %s data written with a released schema", current.getName())
                        .isEmpty();
            }
        }
    }

    @Test
    void shouldFlagANewFieldWithoutADefault() {
        Schema released = ItemEvent.getClassSchema();
        Schema changed = withExtraField(released, "{\"name\":\"price\",\"type\":\"double\"}");
        assertThat(SchemaCompatibility.backwardProblems(changed, released))
                .singleElement()
                .asString()
                .contains("READER_FIELD_MISSING_DEFAULT")
                .contains("price");
    }

    @Test
    void shouldFlagAChangedFieldType() {
        Schema released =
                ReleasedSchemas.release("1").get(ItemEvent.getClassSchema().getFullName());
        Schema changed =
                new Schema.Parser()
                        .parse(
                                released.toString()
                                        .replace(
                                                "{\"name\":\"title\",\"type\":\"string\"",
                                                "{\"name\":\"title\",\"type\":\"int\""));
        assertThat(SchemaCompatibility.backwardProblems(changed, released))
                .anySatisfy(p -> assertThat(p).contains("TYPE_MISMATCH").contains("title"));
    }

    @Test
    void shouldAcceptANewOptionalFieldWithADefault() {
        Schema released = ItemEvent.getClassSchema();
        Schema changed =
                withExtraField(
                        released,
                        "{\"name\":\"price\",\"type\":[\"null\",\"double\"],\"default\":null}");
        assertThat(SchemaCompatibility.backwardProblems(changed, released)).isEmpty();
    }

    @Test
    void shouldDocumentEveryField() {
        for (Map.Entry<String, SpecificRecord> sample : SampleRecords.all().entrySet()) {
            assertDocumented(sample.getValue().getSchema());
        }
    }

    private static void assertDocumented(Schema schema) {
        switch (schema.getType()) {
            case RECORD -> {
                assertThat(schema.getDoc()).as("doc of record %s", schema.getName()).isNotBlank();
                for (Schema.Field field : schema.getFields()) {
                    assertThat(field.doc())
                            .as("doc of %s.%s", schema.getName(), field.name())
                            .isNotBlank();
                    assertDocumented(field.schema());
                }
            }
            case ARRAY -> assertDocumented(schema.getElementType());
            case UNION -> schema.getTypes().forEach(SchemaCompatibilityTest::assertDocumented);
            default -> {}
        }
    }

    private static Schema withExtraField(Schema schema, String fieldJson) {
        String json = schema.toString();
        int end = json.lastIndexOf("]");
        return new Schema.Parser()
                .parse(json.substring(0, end) + "," + fieldJson + json.substring(end));
    }
}
