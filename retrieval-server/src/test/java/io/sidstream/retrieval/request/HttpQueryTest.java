package io.sidstream.retrieval.request;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class HttpQueryTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static HttpQuery parse(String body) throws Exception {
        JsonNode node = body.isEmpty() ? null : JSON.readTree(body);
        return HttpQuery.parse(node, 3, 256);
    }

    private static String problems(String body) {
        try {
            parse(body);
        } catch (InvalidRequestException e) {
            return e.getMessage();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        throw new AssertionError("accepted: " + body);
    }

    @Test
    void shouldAcceptTheDocumentedFields() throws Exception {
        HttpQuery q =
                parse(
                        "{\"userId\":\"u1\",\"items\":[\"a\",\"b\"],\"k\":5,\"beamWidth\":64,"
                                + "\"excludeSeen\":false,\"includePrefixes\":[[12]],"
                                + "\"excludePrefixes\":[[7,200]],\"coldStart\":true}");
        assertThat(q.userId()).isEqualTo("u1");
        assertThat(q.items()).containsExactly("a", "b");
        assertThat(q.k()).isEqualTo(5);
        assertThat(q.beamWidth()).isEqualTo(64);
        assertThat(q.excludeSeen()).isFalse();
        assertThat(q.coldStart()).isTrue();
        assertThat(q.includePrefixes()).hasSize(1);
        assertThat(parse("{\"userId\":\"u1\"}").excludeSeen()).isTrue();
    }

    @Test
    void shouldTakeASentenceToSteerByWithItsWeightOrAsAHardInclude() throws Exception {
        HttpQuery soft = parse("{\"userId\":\"u1\",\"query\":\"animated family films\"}");
        assertThat(soft.query()).isEqualTo("animated family films");
        assertThat(soft.queryWeight()).isEqualTo(HttpQuery.DEFAULT_QUERY_WEIGHT);
        assertThat(soft.queryInclude()).isFalse();
        HttpQuery hard =
                parse(
                        "{\"userId\":\"u1\",\"query\":\"war\",\"queryWeight\":0.5,"
                                + "\"queryInclude\":true}");
        assertThat(hard.queryWeight()).isEqualTo(0.5);
        assertThat(hard.queryInclude()).isTrue();
        assertThat(parse("{\"userId\":\"u1\"}").query()).isNull();

        assertThat(problems("{\"userId\":\"u1\",\"query\":\" \"}")).contains("query must be");
        assertThat(problems("{\"userId\":\"u1\",\"query\":\"x\",\"queryWeight\":-1}"))
                .contains("queryWeight must be a number in [0, 100]");
        assertThat(problems("{\"userId\":\"u1\",\"queryWeight\":2}")).contains("need a query");
        assertThat(problems("{\"userId\":\"u1\",\"query\":\"" + "x".repeat(1001) + "\"}"))
                .contains("at most 1000");
    }

    @Test
    void shouldRefuseBodiesThatAreNotARequestObject() {
        assertThat(problems("")).contains("must be a JSON object").contains("nothing");
        assertThat(problems("[1,2,3]")).contains("must be a JSON object").contains("array");
        assertThat(problems("5")).contains("must be a JSON object").contains("number");
        assertThat(problems("{}")).contains("userId is required");
    }

    @Test
    void shouldReportEveryProblemAtOnceInTheApisOwnTerms() {
        String p =
                problems(
                        "{\"userId\":\"u\",\"k\":\"ten\",\"beamWidth\":1.5,\"beam\":8,"
                                + "\"includePrefixes\":[[999]],\"excludeSeen\":\"yes\"}");
        assertThat(p)
                .contains("k must be an integer, got string \"ten\"")
                .contains("beamWidth must be an integer, got number 1.5")
                .contains("unknown field(s) [beam]")
                .contains("includePrefixes code 999 at level 0 is outside [0, 256)")
                .contains("excludeSeen must be true or false")
                .doesNotContain("numCandidates");
        assertThat(problems("{\"userId\":\"u\",\"k\":0}")).contains("k 0 is outside [1, 1000]");
        assertThat(problems("{\"userId\":\"u\",\"items\":[\"a\"],\"history\":[[1,2,3,0]]}"))
                .contains("either items or history");
        assertThat(problems("{\"userId\":\"u\",\"history\":[[1,2]]}"))
                .contains("history entries must be arrays of 4 integer codes");
    }

    @Test
    void shouldNeverEchoTheWholeInput() {
        String huge = "x".repeat(100_000);
        assertThat(problems("{\"userId\":\"" + huge + "\"}"))
                .contains("userId has 100000 characters")
                .hasSizeLessThan(200);
        StringBuilder ids = new StringBuilder("{\"userId\":\"u\",\"items\":[");
        for (int i = 0; i < 5_000; i++) {
            ids.append(i == 0 ? "" : ",").append("\"").append(i).append("\"");
        }
        assertThat(problems(ids.append("]}").toString()))
                .contains("items has 5000 ids; at most 1000")
                .hasSizeLessThan(200);
        assertThat(problems("{\"userId\":{\"nested\":\"" + huge + "\"}}")).hasSizeLessThan(300);
    }
}
