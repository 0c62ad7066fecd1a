package io.sidstream.platform.settings;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Reads {@link Setting}s from environment-style maps, collecting every problem so an app can report
 * them all at once ({@link #throwIfInvalid}).
 */
public final class SettingsReader {
    /**
     * Prefix of settings passed through to Kafka clients: {@code SIDSTREAM_KAFKA_SASL_MECHANISM}.
     */
    public static final String KAFKA_PREFIX = "SIDSTREAM_KAFKA_";

    private final Map<String, String> env;
    private final List<String> problems = new ArrayList<>();

    public SettingsReader(Map<String, String> env) {
        this.env = env;
    }

    /** An optional properties file (args[0]) overlaid by the process environment. */
    public static Map<String, String> fromArgsAndEnvironment(String[] args) throws IOException {
        Map<String, String> settings = new HashMap<>();
        if (args.length > 0) {
            Properties file = new Properties();
            try (Reader in = Files.newBufferedReader(Path.of(args[0]))) {
                file.load(in);
            }
            file.forEach((k, v) -> settings.put(k.toString(), v.toString()));
        }
        settings.putAll(System.getenv());
        return settings;
    }

    /** Whether the operator gave {@code s} a value (not blank), rather than leaving its default. */
    public boolean isSet(Setting s) {
        String v = env.get(s.key());
        return v != null && !v.isBlank();
    }

    public String string(Setting s) {
        String v = env.get(s.key());
        return v == null || v.isBlank() ? s.defaultValue() : v.trim();
    }

    /** A decimal number in [min, max]; a problem (and the default) otherwise. */
    public double decimal(Setting s, double min, double max) {
        String v = string(s);
        try {
            double value = Double.parseDouble(v);
            if (!(value >= min && value <= max)) {
                problem(s.key() + "=" + v + " is outside [" + min + ", " + max + "]");
            }
            return value;
        } catch (NumberFormatException e) {
            problem(s.key() + "=" + v + " is not a number");
            return Double.parseDouble(s.defaultValue());
        }
    }

    public int integer(Setting s, int min, int max) {
        String v = string(s);
        try {
            int value = Integer.parseInt(v);
            if (value < min || value > max) {
                problem(s.key() + "=" + v + " is outside [" + min + ", " + max + "]");
            }
            return value;
        } catch (NumberFormatException e) {
            problem(s.key() + "=" + v + " is not an integer");
            return Integer.parseInt(s.defaultValue());
        }
    }

    public void problem(String problem) {
        problems.add(problem);
    }

    /** {@code SIDSTREAM_KAFKA_FETCH_MAX_WAIT_MS=20} becomes {@code fetch.max.wait.ms=20}. */
    public Map<String, String> kafkaOverrides() {
        Map<String, String> kafka = new TreeMap<>();
        env.forEach(
                (k, v) -> {
                    if (k.startsWith(KAFKA_PREFIX)) {
                        kafka.put(
                                k.substring(KAFKA_PREFIX.length())
                                        .toLowerCase(Locale.ROOT)
                                        .replace('_', '.'),
                                v);
                    }
                });
        return kafka;
    }

    /**
     * {@code SIDSTREAM_*} keys that are none of {@code known}, no Kafka pass-through and none of
     * the launchers' own variables: most likely typos, which would otherwise be silently ignored.
     */
    public List<String> unknownKeys(Setting[] known) {
        java.util.Set<String> keys = new java.util.HashSet<>(LAUNCHER_VARIABLES);
        for (Setting s : known) {
            keys.add(s.key());
        }
        return env.keySet().stream()
                .filter(k -> k.startsWith("SIDSTREAM_"))
                .filter(k -> !k.startsWith(KAFKA_PREFIX))
                .filter(k -> !keys.contains(k))
                .sorted()
                .toList();
    }

    /**
     * Logs a warning naming the {@link #unknownKeys} of an app: a warning, not an error, since one
     * environment may configure several services.
     */
    public void warnAboutUnknownKeys(String app, Setting[] known) {
        List<String> unknown = unknownKeys(known);
        if (!unknown.isEmpty()) {
            org.slf4j.LoggerFactory.getLogger(SettingsReader.class)
                    .warn(
                            "ignoring settings that {} does not know: {} (see ./sidstream"
                                    + " config-table)",
                            app,
                            unknown);
        }
    }

    /** Variables read by the launch scripts and client commands, not by the services. */
    private static final List<String> LAUNCHER_VARIABLES =
            List.of("SIDSTREAM_JAVA_OPTS", "SIDSTREAM_RETRIEVAL_URL");

    /** Throws one {@link IllegalArgumentException} listing every problem, if there are any. */
    public void throwIfInvalid(String app) {
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(
                    "invalid " + app + " configuration:\n  - " + String.join("\n  - ", problems));
        }
    }

    /**
     * A bearer-token file setting: blank, or a readable file holding at least one token; a problem
     * is recorded otherwise.
     */
    public String tokenFile(Setting setting) {
        String path = string(setting);
        try {
            io.sidstream.platform.http.BearerTokens.fromFile(path);
        } catch (IllegalArgumentException e) {
            problem(setting.key() + ": " + e.getMessage());
        }
        return path;
    }
}
