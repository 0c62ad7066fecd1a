package io.sidstream.platform.kafka;

import io.sidstream.contracts.serde.AvroSerdes;
import io.sidstream.contracts.serde.SchemaRegistryClient;
import io.sidstream.platform.settings.Setting;
import io.sidstream.platform.settings.SettingsReader;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The public topics' wire format of one process, read from {@link WireFormatSetting}s and applied
 * with {@link #install()} before the process builds a Kafka client.
 *
 * @param registryUrl {@code null} in single-object mode
 * @param credentials {@code user:password} for basic auth, or {@code null}
 */
public record WireFormatSelection(boolean registry, URI registryUrl, String credentials) {
    /** Single-object encoding, the local-mode default. */
    public static final WireFormatSelection SINGLE_OBJECT =
            new WireFormatSelection(false, null, null);

    /** Reads the selection, recording every problem in {@code r}. */
    public static WireFormatSelection read(SettingsReader r) {
        String mode = r.string(WireFormatSetting.WIRE_FORMAT).toLowerCase(Locale.ROOT);
        if (mode.equals("single-object")) {
            return SINGLE_OBJECT;
        }
        if (!mode.equals("registry")) {
            r.problem(
                    WireFormatSetting.WIRE_FORMAT.key()
                            + "="
                            + mode
                            + " is not single-object or registry");
            return SINGLE_OBJECT;
        }
        String url = r.string(WireFormatSetting.SCHEMA_REGISTRY_URL);
        URI uri = null;
        if (url.isBlank()) {
            r.problem(
                    WireFormatSetting.SCHEMA_REGISTRY_URL.key()
                            + " is required with "
                            + WireFormatSetting.WIRE_FORMAT.key()
                            + "=registry");
        } else {
            try {
                uri = URI.create(url);
                if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
                    r.problem(
                            WireFormatSetting.SCHEMA_REGISTRY_URL.key()
                                    + "="
                                    + url
                                    + " is not an http(s) address");
                }
            } catch (IllegalArgumentException e) {
                r.problem(
                        WireFormatSetting.SCHEMA_REGISTRY_URL.key()
                                + "="
                                + url
                                + " is not an address: "
                                + e.getMessage());
            }
        }
        String credentials = null;
        String file = r.string(WireFormatSetting.SCHEMA_REGISTRY_CREDENTIALS_FILE);
        if (!file.isBlank()) {
            try {
                credentials = Files.readString(Path.of(file), StandardCharsets.UTF_8).strip();
                if (!credentials.contains(":")) {
                    r.problem(
                            WireFormatSetting.SCHEMA_REGISTRY_CREDENTIALS_FILE.key()
                                    + ": "
                                    + file
                                    + " does not hold user:password");
                }
            } catch (IOException e) {
                r.problem(
                        WireFormatSetting.SCHEMA_REGISTRY_CREDENTIALS_FILE.key()
                                + ": cannot read "
                                + file
                                + " ("
                                + e.getMessage()
                                + ")");
            }
        }
        return new WireFormatSelection(true, uri, credentials);
    }

    /** An app's own settings followed by the wire-format ones, for unknown-key checks. */
    public static Setting[] withAppSettings(Setting[] app) {
        return Stream.concat(Arrays.stream(app), Arrays.stream(WireFormatSetting.values()))
                .toArray(Setting[]::new);
    }

    /**
     * Selects this format for the process's public serdes. In registry mode the registry must
     * answer first: a wrong address fails the start, not the first record.
     *
     * @throws IllegalStateException when the registry does not answer
     */
    public void install() {
        if (!registry) {
            AvroSerdes.useSingleObject();
            return;
        }
        SchemaRegistryClient client = SchemaRegistryClient.of(registryUrl, credentials);
        checkReachable(client.baseUrl());
        AvroSerdes.useRegistry(client);
    }

    private void checkReachable(URI base) {
        HttpRequest.Builder request =
                HttpRequest.newBuilder(base.resolve("subjects"))
                        .timeout(Duration.ofSeconds(10))
                        .GET();
        if (credentials != null) {
            request.header(
                    "Authorization",
                    "Basic "
                            + java.util.Base64.getEncoder()
                                    .encodeToString(credentials.getBytes(StandardCharsets.UTF_8)));
        }
        String problem;
        try {
            HttpResponse<Void> response =
                    HttpClient.newBuilder()
                            .connectTimeout(Duration.ofSeconds(10))
                            .build()
                            .send(request.build(), HttpResponse.BodyHandlers.discarding());
            if (response.statusCode() / 100 == 2) {
                return;
            }
            problem = "HTTP " + response.statusCode();
        } catch (IOException e) {
            problem = e.toString();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            problem = "interrupted";
        }
        throw new IllegalStateException(
                "schema registry at "
                        + base
                        + " does not answer GET subjects ("
                        + problem
                        + "); check "
                        + WireFormatSetting.SCHEMA_REGISTRY_URL.key());
    }
}
