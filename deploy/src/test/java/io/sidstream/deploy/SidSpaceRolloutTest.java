package io.sidstream.deploy;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SidSpaceRolloutTest {
    @Test
    @SuppressWarnings("unchecked")
    void shouldDeriveGreenWorkloadsOfTheirOwnThatReTokenizeAndIndexTheNewSpace() {
        List<Map<String, Object>> blue =
                Kustomize.render(ManifestsTest.K8S.resolve("overlays").resolve("cpu"));
        String before = Kustomize.toYaml(blue);
        List<Map<String, Object>> green = SidSpaceRollout.green(blue, "next", "/bundles/next");
        assertThat(Kustomize.toYaml(blue)).as("the overlay is not changed").isEqualTo(before);
        assertThat(green)
                .extracting(r -> r.get("kind"))
                .containsExactly("StatefulSet", "Deployment");

        Map<String, Object> ingest = green.get(0);
        assertThat(name(ingest)).isEqualTo("sidstream-ingest-next");
        assertThat(Kustomize.toYaml(List.of(ingest)))
                .doesNotContain("app.kubernetes.io/name: sidstream-ingest\n");
        assertThat(env(ingest))
                .containsEntry("SIDSTREAM_INGEST_MODE", "retokenize")
                .containsEntry("SIDSTREAM_INGEST_APPLICATION_ID", "sidstream-ingest-next")
                .containsEntry("SIDSTREAM_BUNDLE_DIR", "/bundles/next")
                .containsKey("SIDSTREAM_KAFKA_SASL_JAAS_CONFIG");

        Map<String, Object> retrieval = green.get(1);
        assertThat(name(retrieval)).isEqualTo("sidstream-retrieval-next");
        Map<String, Object> selector =
                (Map<String, Object>)
                        ((Map<String, Object>)
                                        ((Map<String, Object>) retrieval.get("spec"))
                                                .get("selector"))
                                .get("matchLabels");
        assertThat(selector).containsEntry("app.kubernetes.io/name", "sidstream-retrieval-next");
        assertThat(env(retrieval))
                .containsEntry("SIDSTREAM_RETRIEVAL_INDEX_SOURCE", "own-space")
                .containsEntry("SIDSTREAM_BUNDLE_DIR", "/bundles/next")
                // The same request group: it takes a share of the partitions once it covers the
                // catalog, and all of them when blue leaves.
                .containsEntry("SIDSTREAM_RETRIEVAL_APPLICATION_ID", "sidstream-retrieval");
        assertThatThrownBy(() -> SidSpaceRollout.green(blue, "Next!", "/b"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static String name(Map<String, Object> resource) {
        return (String) ((Map<?, ?>) resource.get("metadata")).get("name");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> env(Map<String, Object> workload) {
        Map<String, Object> pod =
                (Map<String, Object>)
                        ((Map<String, Object>)
                                        ((Map<String, Object>) workload.get("spec"))
                                                .get("template"))
                                .get("spec");
        Map<String, Object> container =
                (Map<String, Object>) ((List<Object>) pod.get("containers")).get(0);
        Map<String, String> out = new HashMap<>();
        for (Object o : (List<Object>) container.get("env")) {
            Map<String, Object> var = (Map<String, Object>) o;
            out.put(
                    (String) var.get("name"),
                    var.containsKey("value") ? String.valueOf(var.get("value")) : "(from)");
        }
        return out;
    }
}
