package io.sidstream.deploy;

import io.sidstream.platform.SidstreamException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The "green" side of a blue/green rollout of a bundle with a new RQ-VAE, derived from a rendered
 * overlay so that it keeps every setting of the deployment it runs beside (image, resources, Kafka
 * client, tokens, probes): an ingest StatefulSet that re-tokenizes the live catalog into the
 * bundle's own SID space ({@code SIDSTREAM_INGEST_MODE=retokenize}, its own application id and
 * state), and a retrieval Deployment that indexes that space ({@code
 * SIDSTREAM_RETRIEVAL_INDEX_SOURCE=own-space}). Both carry names and labels of their own, so the
 * {@code sidstream-retrieval} Service keeps routing HTTP to blue until its selector is switched;
 * green retrieval joins the Kafka request group only once its index covers the catalog.
 */
public final class SidSpaceRollout {
    static final String INGEST = "sidstream-ingest";
    static final String RETRIEVAL = "sidstream-retrieval";
    private static final String NAME_LABEL = "app.kubernetes.io/name";

    private SidSpaceRollout() {}

    /**
     * The green StatefulSet and Deployment for {@code bundleDir} (a path inside the pods), named
     * {@code sidstream-ingest-<name>} and {@code sidstream-retrieval-<name>}.
     */
    public static List<Map<String, Object>> green(
            List<Map<String, Object>> rendered, String name, String bundleDir) {
        if (!name.matches("[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?")) {
            throw new IllegalArgumentException(
                    "rollout name " + name + " must be a short DNS label (a-z, 0-9, -)");
        }
        List<Map<String, Object>> out = new ArrayList<>();
        Map<String, Object> ingest = copy(find(rendered, "StatefulSet", INGEST));
        rename(ingest, INGEST, INGEST + "-" + name);
        Map<String, String> ingestEnv = new LinkedHashMap<>();
        ingestEnv.put("SIDSTREAM_INGEST_MODE", "retokenize");
        ingestEnv.put("SIDSTREAM_INGEST_APPLICATION_ID", INGEST + "-" + name);
        ingestEnv.put("SIDSTREAM_BUNDLE_DIR", bundleDir);
        setEnv(ingest, ingestEnv);
        out.add(ingest);

        Map<String, Object> retrieval = copy(find(rendered, "Deployment", RETRIEVAL));
        rename(retrieval, RETRIEVAL, RETRIEVAL + "-" + name);
        Map<String, String> retrievalEnv = new LinkedHashMap<>();
        retrievalEnv.put("SIDSTREAM_RETRIEVAL_INDEX_SOURCE", "own-space");
        retrievalEnv.put("SIDSTREAM_BUNDLE_DIR", bundleDir);
        setEnv(retrieval, retrievalEnv);
        out.add(retrieval);
        return out;
    }

    private static Map<String, Object> find(
            List<Map<String, Object>> rendered, String kind, String name) {
        for (Map<String, Object> r : rendered) {
            if (kind.equals(r.get("kind")) && name.equals(map(r, "metadata").get("name"))) {
                return r;
            }
        }
        throw new SidstreamException("the rendered overlay has no " + kind + " " + name);
    }

    /** Every occurrence of the name label's value {@code from}, and the resource's name. */
    @SuppressWarnings("unchecked")
    private static void rename(Object node, String from, String to) {
        if (node instanceof Map<?, ?> m) {
            Map<String, Object> map = (Map<String, Object>) m;
            if (map.get("metadata") instanceof Map<?, ?> meta
                    && from.equals(meta.get("name"))
                    && map.containsKey("kind")) {
                ((Map<String, Object>) meta).put("name", to);
            }
            for (Map.Entry<String, Object> e : map.entrySet()) {
                if (e.getKey().equals(NAME_LABEL) && from.equals(e.getValue())) {
                    e.setValue(to);
                } else {
                    rename(e.getValue(), from, to);
                }
            }
        } else if (node instanceof List<?> list) {
            for (Object o : list) {
                rename(o, from, to);
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static void setEnv(Map<String, Object> workload, Map<String, String> values) {
        Map<String, Object> pod = map(map(map(workload, "spec"), "template"), "spec");
        List<Object> containers = (List<Object>) pod.get("containers");
        Map<String, Object> container = (Map<String, Object>) containers.get(0);
        List<Object> env = (List<Object>) container.computeIfAbsent("env", k -> new ArrayList<>());
        Map<String, String> left = new LinkedHashMap<>(values);
        for (Object o : env) {
            Map<String, Object> var = (Map<String, Object>) o;
            String value = left.remove((String) var.get("name"));
            if (value != null) {
                var.remove("valueFrom");
                var.put("value", value);
            }
        }
        left.forEach(
                (k, v) -> {
                    Map<String, Object> var = new LinkedHashMap<>();
                    var.put("name", k);
                    var.put("value", v);
                    env.add(var);
                });
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Map<String, Object> parent, String key) {
        Object v = parent.get(key);
        if (!(v instanceof Map<?, ?>)) {
            throw new SidstreamException("expected a map at " + key);
        }
        return (Map<String, Object>) v;
    }

    @SuppressWarnings("unchecked")
    private static <T> T copy(T node) {
        if (node instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, v) -> out.put((String) k, copy(v)));
            return (T) out;
        }
        if (node instanceof List<?> l) {
            List<Object> out = new ArrayList<>();
            l.forEach(v -> out.add(copy(v)));
            return (T) out;
        }
        return node;
    }
}
