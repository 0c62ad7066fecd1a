package io.sidstream.app.eval;

import com.fasterxml.jackson.databind.JsonNode;
import io.sidstream.model.bundle.BundleManifest;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Baselines that need a deep-learning trainer (SASRec-CE), trained by the reference trainer on the
 * same split and recorded in the bundle's {@code metrics.baselines}; the eval prints them beside
 * its own figures. The trainer ranks the whole catalog with seen items excluded, as this eval does,
 * on the same leave-last-out cases.
 */
public final class TrainerBaselines {
    private static final Map<String, String> NAMES = Map.of("sasrec_ce", "SASRec-CE (trainer)");

    private final JsonNode baselines;

    private TrainerBaselines(JsonNode baselines) {
        this.baselines = baselines;
    }

    public static TrainerBaselines of(BundleManifest m) {
        JsonNode metrics = m.metrics();
        return new TrainerBaselines(metrics == null ? null : metrics.get("baselines"));
    }

    /** Table rows of {@code part} ("all" or "cold_start"), in the eval table's layout. */
    public List<String> rows(String part) {
        List<String> rows = new ArrayList<>();
        if (baselines == null) {
            return rows;
        }
        baselines
                .fields()
                .forEachRemaining(
                        e -> {
                            JsonNode p = e.getValue().path(part);
                            int seeds = e.getValue().path("runs").size();
                            String name =
                                    NAMES.getOrDefault(e.getKey(), e.getKey())
                                            + (seeds > 1 ? ", mean of " + seeds : "");
                            rows.add(
                                    String.format(
                                            Locale.ROOT,
                                            "%-28s %6.4f %6.4f %6.4f %6.4f  (+-%.4f R@10 over seeds)",
                                            name,
                                            p.path("recall@10").asDouble(),
                                            p.path("recall@50").asDouble(),
                                            p.path("recall@100").asDouble(),
                                            p.path("ndcg@10").asDouble(),
                                            p.path("recall@10_std").asDouble()));
                        });
        return rows;
    }

    /** The recorded figures as JSON ({@code null} when the bundle has none). */
    public String json() {
        if (baselines == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder("{");
        baselines
                .fields()
                .forEachRemaining(
                        e ->
                                out.append(out.length() > 1 ? "," : "")
                                        .append('"')
                                        .append(e.getKey())
                                        .append("\":{\"all\":")
                                        .append(e.getValue().path("all"))
                                        .append(",\"cold_start\":")
                                        .append(e.getValue().path("cold_start"))
                                        .append('}'));
        return out.append('}').toString();
    }
}
