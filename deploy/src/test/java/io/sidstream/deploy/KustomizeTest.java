package io.sidstream.deploy;

import io.sidstream.platform.SidstreamException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The renderer on its own, on small kustomizations (ManifestsTest also compares it to kubectl). */
class KustomizeTest {
    @TempDir Path dir;

    private static final String DEPLOYMENT =
            """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: app
            spec:
              replicas: 2
              template:
                spec:
                  containers:
                    - name: main
                      image: sidstream
                      env:
                        - name: A
                          value: "1"
                        - name: B
                          value: "2"
                        - name: C
                          valueFrom:
                            secretKeyRef: {name: s, key: k}
            """;

    private Path write(String path, String text) throws IOException {
        Path file = dir.resolve(path);
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
        return file;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> container(Map<String, Object> deployment) {
        Map<String, Object> spec = (Map<String, Object>) deployment.get("spec");
        Map<String, Object> template = (Map<String, Object>) spec.get("template");
        Map<String, Object> podSpec = (Map<String, Object>) template.get("spec");
        return ((List<Map<String, Object>>) podSpec.get("containers")).get(0);
    }

    @Test
    void shouldMergeByNamePatchedElementsFirstRetagAndSetTheNamespace() throws IOException {
        write("base/deploy.yaml", DEPLOYMENT);
        write(
                "base/kustomization.yaml",
                "resources: [deploy.yaml]\nimages:\n  - {name: sidstream, newName: reg/sidstream, newTag: '1.0'}\n");
        write(
                "overlay/patch.yaml",
                """
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: app
                spec:
                  replicas: 1
                  template:
                    spec:
                      containers:
                        - name: main
                          env:
                            - name: C
                              value: plain
                            - name: D
                              value: "4"
                """);
        write(
                "overlay/kustomization.yaml",
                "namespace: ns\nresources: [../base]\npatches:\n  - path: patch.yaml\n");
        List<Map<String, Object>> out = Kustomize.render(dir.resolve("overlay"));
        assertThat(out).hasSize(1);
        Map<String, Object> deployment = out.get(0);
        assertThat(((Map<?, ?>) deployment.get("metadata")).get("namespace")).isEqualTo("ns");
        assertThat(((Map<?, ?>) deployment.get("spec")).get("replicas")).isEqualTo(1);
        Map<String, Object> main = container(deployment);
        assertThat(main.get("image")).isEqualTo("reg/sidstream:1.0");
        assertThat(main.get("env"))
                .isEqualTo(
                        List.of(
                                Map.of("name", "C", "value", "plain"),
                                Map.of("name", "D", "value", "4"),
                                Map.of("name", "A", "value", "1"),
                                Map.of("name", "B", "value", "2")));
    }

    @Test
    void shouldDeleteWithPatchDelete() throws IOException {
        write("base/deploy.yaml", DEPLOYMENT);
        write("base/kustomization.yaml", "resources: [deploy.yaml]\n");
        write(
                "overlay/delete.yaml",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\n$patch: delete\n");
        write(
                "overlay/kustomization.yaml",
                "resources: [../base]\npatches:\n  - path: delete.yaml\n");
        assertThat(Kustomize.render(dir.resolve("overlay"))).isEmpty();
    }

    @Test
    void shouldRefuseWhatItDoesNotImplementAndMissingTargets() throws IOException {
        write("a/deploy.yaml", DEPLOYMENT);
        write("a/kustomization.yaml", "resources: [deploy.yaml]\ncommonLabels: {x: y}\n");
        assertThatThrownBy(() -> Kustomize.render(dir.resolve("a")))
                .isInstanceOf(SidstreamException.class)
                .hasMessageContaining("'commonLabels' is not supported");

        write("b/deploy.yaml", DEPLOYMENT);
        write("b/patch.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: other\n");
        write("b/kustomization.yaml", "resources: [deploy.yaml]\npatches:\n  - path: patch.yaml\n");
        assertThatThrownBy(() -> Kustomize.render(dir.resolve("b")))
                .hasMessageContaining("patch target Deployment/other not found");

        write("c/deploy.yaml", DEPLOYMENT + "---\n" + DEPLOYMENT);
        write("c/kustomization.yaml", "resources: [deploy.yaml]\n");
        assertThatThrownBy(() -> Kustomize.render(dir.resolve("c")))
                .hasMessageContaining("Deployment/app is declared twice");
    }
}
