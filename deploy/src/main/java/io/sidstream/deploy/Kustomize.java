package io.sidstream.deploy;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import io.sidstream.platform.SidstreamException;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Renders a kustomization directory the way {@code kubectl kustomize} does, for the subset of
 * kustomize that sidstream's manifests use: {@code resources} (files and directories), {@code
 * patches} by {@code path} (strategic merge, {@code $patch: delete}), {@code images} and {@code
 * namespace}. CI has no kubectl; anything outside the subset is an error, never silently ignored.
 */
public final class Kustomize {
    private static final Set<String> SUPPORTED_FIELDS =
            Set.of("apiVersion", "kind", "resources", "patches", "images", "namespace");

    /** Lists of built-in kinds that strategic merge merges by element {@code name}. */
    private static final Set<String> MERGED_BY_NAME =
            Set.of("containers", "initContainers", "env", "volumes", "volumeMounts");

    private static final Set<String> CLUSTER_SCOPED =
            Set.of(
                    "Namespace",
                    "ClusterRole",
                    "ClusterRoleBinding",
                    "CustomResourceDefinition",
                    "PersistentVolume",
                    "StorageClass",
                    "PriorityClass");

    private static final ObjectMapper YAML =
            new ObjectMapper(
                    new YAMLFactory()
                            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
                            .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
                            .disable(YAMLGenerator.Feature.SPLIT_LINES));

    private Kustomize() {}

    /** The resources of the kustomization in {@code directory}, fully transformed. */
    public static List<Map<String, Object>> render(Path directory) {
        Path file = directory.resolve("kustomization.yaml");
        if (!Files.isRegularFile(file)) {
            throw new SidstreamException("no kustomization.yaml in " + directory);
        }
        List<Map<String, Object>> docs = readDocuments(file);
        if (docs.size() != 1) {
            throw new SidstreamException(file + " must hold exactly one document");
        }
        Map<String, Object> k = docs.get(0);
        for (String field : k.keySet()) {
            if (!SUPPORTED_FIELDS.contains(field)) {
                throw new SidstreamException(
                        file
                                + ": '"
                                + field
                                + "' is not supported by sidstream's renderer (supported: "
                                + SUPPORTED_FIELDS
                                + ")");
            }
        }
        List<Map<String, Object>> resources = new ArrayList<>();
        for (String entry : strings(k.get("resources"), file, "resources")) {
            Path path = directory.resolve(entry).normalize();
            List<Map<String, Object>> loaded =
                    Files.isDirectory(path) ? render(path) : readDocuments(path);
            for (Map<String, Object> resource : loaded) {
                String id = id(resource);
                if (resources.stream().anyMatch(r -> id(r).equals(id))) {
                    throw new SidstreamException(file + ": " + id + " is declared twice");
                }
                resources.add(resource);
            }
        }
        for (Map<String, Object> patch : maps(k.get("patches"), file, "patches")) {
            Object path = patch.get("path");
            if (!(path instanceof String) || patch.size() != 1) {
                throw new SidstreamException(
                        file + ": only patches of the form '- path: <file>' are supported");
            }
            for (Map<String, Object> doc : readDocuments(directory.resolve((String) path))) {
                applyPatch(resources, doc, directory.resolve((String) path));
            }
        }
        for (Map<String, Object> image : maps(k.get("images"), file, "images")) {
            for (Map<String, Object> resource : resources) {
                retag(resource, image);
            }
        }
        Object namespace = k.get("namespace");
        if (namespace != null) {
            for (Map<String, Object> resource : resources) {
                if (!CLUSTER_SCOPED.contains(resource.get("kind"))) {
                    metadata(resource).put("namespace", namespace);
                }
            }
        }
        return resources;
    }

    /** The resources as one multi-document YAML stream. */
    public static String toYaml(List<Map<String, Object>> resources) {
        StringWriter out = new StringWriter();
        try {
            for (int i = 0; i < resources.size(); i++) {
                if (i > 0) {
                    out.write("---\n");
                }
                out.write(YAML.writeValueAsString(resources.get(i)));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    /** Every non-empty document of a YAML file, as maps. */
    public static List<Map<String, Object>> readDocuments(Path file) {
        List<Map<String, Object>> docs = new ArrayList<>();
        try (MappingIterator<Map<String, Object>> it =
                YAML.readerFor(new TypeReference<Map<String, Object>>() {})
                        .readValues(file.toFile())) {
            while (it.hasNextValue()) {
                Map<String, Object> doc = it.nextValue();
                if (doc != null && !doc.isEmpty()) {
                    docs.add(doc);
                }
            }
        } catch (IOException e) {
            throw new SidstreamException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return docs;
    }

    /** {@code Kind/name} (the identity a patch targets). */
    public static String id(Map<String, Object> resource) {
        return resource.get("kind") + "/" + metadata(resource).get("name");
    }

    private static void applyPatch(
            List<Map<String, Object>> resources, Map<String, Object> patch, Path file) {
        String id = id(patch);
        Map<String, Object> target =
                resources.stream()
                        .filter(r -> id(r).equals(id))
                        .findFirst()
                        .orElseThrow(
                                () ->
                                        new SidstreamException(
                                                file + ": patch target " + id + " not found"));
        if ("delete".equals(patch.get("$patch"))) {
            resources.remove(target);
            return;
        }
        boolean builtIn =
                !String.valueOf(target.get("apiVersion")).contains(".")
                        || String.valueOf(target.get("apiVersion")).contains(".k8s.io/");
        merge(target, patch, builtIn);
    }

    @SuppressWarnings("unchecked")
    private static void merge(
            Map<String, Object> into, Map<String, Object> patch, boolean builtIn) {
        for (Map.Entry<String, Object> e : patch.entrySet()) {
            String key = e.getKey();
            Object value = e.getValue();
            Object current = into.get(key);
            if (value == null) {
                into.remove(key);
            } else if (value instanceof Map && current instanceof Map) {
                merge((Map<String, Object>) current, (Map<String, Object>) value, builtIn);
            } else if (builtIn
                    && MERGED_BY_NAME.contains(key)
                    && value instanceof List
                    && current instanceof List) {
                mergeByName((List<Object>) current, (List<Object>) value);
            } else {
                into.put(key, value);
            }
        }
    }

    /**
     * Merges list elements by {@code name}; like kustomize, the patch's elements come first (in
     * patch order), followed by the elements the patch did not mention.
     */
    @SuppressWarnings("unchecked")
    private static void mergeByName(List<Object> into, List<Object> patch) {
        List<Object> merged = new ArrayList<>();
        List<Object> untouched = new ArrayList<>(into);
        for (Object item : patch) {
            Map<String, Object> patchItem = (Map<String, Object>) item;
            Object name = patchItem.get("name");
            Map<String, Object> existing = null;
            for (Object candidate : untouched) {
                if (candidate instanceof Map && name.equals(((Map<?, ?>) candidate).get("name"))) {
                    existing = (Map<String, Object>) candidate;
                }
            }
            if (existing == null) {
                merged.add(patchItem);
            } else {
                untouched.remove(existing);
                // An env entry switching from value to valueFrom must not keep both.
                if (patchItem.containsKey("value")) {
                    existing.remove("valueFrom");
                }
                if (patchItem.containsKey("valueFrom")) {
                    existing.remove("value");
                }
                merge(existing, patchItem, true);
                merged.add(existing);
            }
        }
        into.clear();
        into.addAll(merged);
        into.addAll(untouched);
    }

    @SuppressWarnings("unchecked")
    private static void retag(Object node, Map<String, Object> image) {
        if (node instanceof Map) {
            Map<String, Object> map = (Map<String, Object>) node;
            for (Map.Entry<String, Object> e : map.entrySet()) {
                if (("containers".equals(e.getKey()) || "initContainers".equals(e.getKey()))
                        && e.getValue() instanceof List) {
                    for (Object c : (List<Object>) e.getValue()) {
                        Map<String, Object> container = (Map<String, Object>) c;
                        Object ref = container.get("image");
                        if (ref instanceof String) {
                            container.put("image", retagged((String) ref, image));
                        }
                    }
                } else {
                    retag(e.getValue(), image);
                }
            }
        } else if (node instanceof List) {
            for (Object item : (List<Object>) node) {
                retag(item, image);
            }
        }
    }

    private static String retagged(String ref, Map<String, Object> image) {
        String name = (String) image.get("name");
        String repository;
        String tag;
        int at = ref.indexOf('@');
        int colon = ref.lastIndexOf(':');
        if (at >= 0) {
            repository = ref.substring(0, at);
            tag = ref.substring(at);
        } else if (colon > ref.lastIndexOf('/')) {
            repository = ref.substring(0, colon);
            tag = ref.substring(colon);
        } else {
            repository = ref;
            tag = "";
        }
        if (!repository.equals(name)) {
            return ref;
        }
        if (image.get("newName") != null) {
            repository = (String) image.get("newName");
        }
        if (image.get("newTag") != null) {
            tag = ":" + image.get("newTag");
        }
        return repository + tag;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> metadata(Map<String, Object> resource) {
        Object metadata = resource.get("metadata");
        if (!(metadata instanceof Map)) {
            throw new SidstreamException("a resource without metadata: " + resource);
        }
        return (Map<String, Object>) metadata;
    }

    private static List<String> strings(Object value, Path file, String field) {
        List<String> out = new ArrayList<>();
        for (Object v : list(value, file, field)) {
            if (!(v instanceof String)) {
                throw new SidstreamException(file + ": " + field + " must list paths");
            }
            out.add((String) v);
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> maps(Object value, Path file, String field) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Object v : list(value, file, field)) {
            if (!(v instanceof Map)) {
                throw new SidstreamException(file + ": " + field + " must list mappings");
            }
            out.add(new LinkedHashMap<>((Map<String, Object>) v));
        }
        return out;
    }

    private static List<?> list(Object value, Path file, String field) {
        if (value == null) {
            return List.of();
        }
        if (!(value instanceof List)) {
            throw new SidstreamException(file + ": " + field + " must be a list");
        }
        return (List<?>) value;
    }
}
