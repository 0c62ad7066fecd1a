package io.sidstream.contracts.serde;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;
import org.apache.kafka.common.KafkaException;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The two calls of a schema registry's REST API that the registry wire format needs, in the
 * Confluent-compatible dialect (Confluent Schema Registry, Apicurio's {@code /apis/ccompat/v7},
 * Karapace, Redpanda): register a subject's schema to learn its id, and fetch a schema by id. Both
 * answers are cached for the life of the client, since ids are immutable.
 *
 * <p>Transient failures (connection refused, timeouts, 5xx, 429) are retried with exponential
 * backoff; when they persist, {@link RegistryUnavailableException} is thrown, which is not a {@link
 * org.apache.kafka.common.errors.SerializationException}: a registry outage must stop the pipeline,
 * not dead-letter good records. An id the registry does not know is an {@link
 * UnknownSchemaException} (the record is foreign or corrupt).
 */
public final class SchemaRegistryClient implements SchemaRegistry {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

    /** The Confluent API's error code for "schema not found". */
    static final int SCHEMA_NOT_FOUND = 40403;

    private final URI base;
    private final String authorization;
    private final Duration timeout;
    private final int attempts;
    private final HttpClient http;
    private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();
    private final Map<String, Integer> idsBySubjectAndSchema = new ConcurrentHashMap<>();

    /**
     * A client of the registry at {@code baseUrl} (for Apicurio, {@code
     * http://host:8080/apis/ccompat/v7}); {@code basicAuth} is {@code user:password} or {@code
     * null}.
     */
    public SchemaRegistryClient(URI baseUrl, String basicAuth, Duration timeout, int attempts) {
        String text = Objects.requireNonNull(baseUrl, "baseUrl").toString();
        this.base = URI.create(text.endsWith("/") ? text : text + "/");
        this.authorization =
                basicAuth == null || basicAuth.isBlank()
                        ? null
                        : "Basic "
                                + Base64.getEncoder()
                                        .encodeToString(
                                                basicAuth.trim().getBytes(StandardCharsets.UTF_8));
        this.timeout = timeout;
        this.attempts = Math.max(1, attempts);
        this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    /**
     * A client with 2 s per call and 4 attempts: at most about 9 s in all, less than Kafka Streams'
     * 10 s transaction timeout under exactly-once, so a registry outage fails a stream thread
     * cleanly instead of fencing its transaction.
     */
    public static SchemaRegistryClient of(URI baseUrl, String basicAuth) {
        return new SchemaRegistryClient(baseUrl, basicAuth, Duration.ofSeconds(2), 4);
    }

    /**
     * The registry's subjects: a reachability (and credentials) check.
     *
     * @throws RegistryUnavailableException when the registry does not answer with a list
     */
    public List<String> subjects() {
        HttpResponse<String> response = send(request("subjects").GET(), "list subjects");
        if (response.statusCode() / 100 != 2) {
            throw new RegistryUnavailableException(
                    "schema registry "
                            + base
                            + " answered HTTP "
                            + response.statusCode()
                            + " listing subjects: "
                            + brief(response.body()));
        }
        try {
            List<String> subjects = new ArrayList<>();
            JSON.readTree(response.body()).forEach(n -> subjects.add(n.asText()));
            return subjects;
        } catch (IOException e) {
            throw new RegistryUnavailableException(
                    "schema registry " + base + " answered with no JSON list of subjects", e);
        }
    }

    /** The registry's base address. */
    public URI baseUrl() {
        return base;
    }

    /**
     * The id of {@code schema} under {@code subject}, registering it as a new version if the
     * subject does not hold it yet (the registry answers with the existing id otherwise).
     *
     * @throws RegistryUnavailableException when the registry cannot be reached or refuses
     */
    @Override
    public int register(String subject, Schema schema) {
        String key = subject + '\u0000' + schema;
        Integer known = idsBySubjectAndSchema.get(key);
        if (known != null) {
            return known;
        }
        String body = JSON.createObjectNode().put("schema", schema.toString()).toString();
        HttpRequest.Builder request =
                request("subjects/" + encode(subject) + "/versions")
                        .header("Content-Type", CONTENT_TYPE)
                        .POST(HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> response = send(request, "register a schema under " + subject);
        if (response.statusCode() / 100 != 2) {
            throw new RegistryUnavailableException(
                    "schema registry "
                            + base
                            + " refused to register "
                            + schema.getFullName()
                            + " under subject "
                            + subject
                            + ": HTTP "
                            + response.statusCode()
                            + " "
                            + brief(response.body()));
        }
        int id = field(response, "id").asInt();
        idsBySubjectAndSchema.put(key, id);
        schemasById.putIfAbsent(id, schema);
        return id;
    }

    /**
     * The schema with this global id.
     *
     * @throws UnknownSchemaException when the registry has no schema of that id
     * @throws RegistryUnavailableException when the registry cannot be reached
     */
    @Override
    public Schema schemaById(int id) {
        Schema known = schemasById.get(id);
        if (known != null) {
            return known;
        }
        HttpResponse<String> response =
                send(request("schemas/ids/" + id).GET(), "fetch schema id " + id);
        if (response.statusCode() == 404 && errorCode(response) == SCHEMA_NOT_FOUND) {
            throw new UnknownSchemaException(
                    "schema registry " + base + " has no schema with id " + id, null);
        }
        if (response.statusCode() / 100 != 2) {
            throw new RegistryUnavailableException(
                    "schema registry "
                            + base
                            + " answered HTTP "
                            + response.statusCode()
                            + " for schema id "
                            + id
                            + ": "
                            + brief(response.body()));
        }
        JsonNode type = field(response, "schemaType", true);
        if (type != null && !type.isNull() && !"AVRO".equalsIgnoreCase(type.asText())) {
            throw new UnknownSchemaException(
                    "schema id " + id + " is a " + type.asText() + " schema, not Avro", null);
        }
        Schema schema;
        try {
            schema = new Schema.Parser().parse(field(response, "schema").asText());
        } catch (SchemaParseException e) {
            throw new UnknownSchemaException(
                    "schema id " + id + " is not a valid Avro schema: " + e.getMessage(), e);
        }
        Schema raced = schemasById.putIfAbsent(id, schema);
        return raced == null ? schema : raced;
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder b =
                HttpRequest.newBuilder(base.resolve(path))
                        .timeout(timeout)
                        .header("Accept", CONTENT_TYPE + ", application/json");
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return b;
    }

    private HttpResponse<String> send(HttpRequest.Builder request, String what) {
        HttpRequest built = request.build();
        long backoffMs = 100;
        String last = "";
        for (int attempt = 1; attempt <= attempts; attempt++) {
            try {
                HttpResponse<String> response =
                        http.send(built, HttpResponse.BodyHandlers.ofString());
                int status = response.statusCode();
                if (status < 500 && status != 429) {
                    return response;
                }
                last = "HTTP " + status + " " + brief(response.body());
            } catch (IOException e) {
                last = e.toString();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RegistryUnavailableException(
                        "interrupted while trying to " + what + " at " + base, e);
            }
            if (attempt < attempts) {
                try {
                    Thread.sleep(backoffMs);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new RegistryUnavailableException(
                            "interrupted while trying to " + what + " at " + base, e);
                }
                backoffMs = Math.min(backoffMs * 2, 2_000);
            }
        }
        throw new RegistryUnavailableException(
                "schema registry "
                        + base
                        + " unavailable: could not "
                        + what
                        + " in "
                        + attempts
                        + " attempts (last: "
                        + last
                        + ")");
    }

    /**
     * The registry's error code in a JSON error body, or 0. Only {@value #SCHEMA_NOT_FOUND} means
     * the id is unknown: a 404 from a proxy or a wrong base path is the registry being unreachable.
     */
    private static int errorCode(HttpResponse<String> response) {
        try {
            JsonNode code = JSON.readTree(response.body()).get("error_code");
            return code == null ? 0 : code.asInt();
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    private JsonNode field(HttpResponse<String> response, String name) {
        return field(response, name, false);
    }

    private JsonNode field(HttpResponse<String> response, String name, boolean optional) {
        try {
            JsonNode value = JSON.readTree(response.body()).get(name);
            if (value == null && !optional) {
                throw new RegistryUnavailableException(
                        "schema registry "
                                + base
                                + " answered without '"
                                + name
                                + "': "
                                + brief(response.body()));
            }
            return value;
        } catch (IOException e) {
            throw new RegistryUnavailableException(
                    "schema registry " + base + " answered with no JSON: " + brief(response.body()),
                    e);
        }
    }

    private static String encode(String subject) {
        return URLEncoder.encode(subject, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String brief(String body) {
        String b = body == null ? "" : body.strip();
        return b.length() > 300 ? b.substring(0, 300) + "..." : b;
    }

    /**
     * The registry cannot be reached, keeps failing, or refuses a registration: not a property of
     * any one record, so not a serialization error.
     */
    public static final class RegistryUnavailableException extends KafkaException {
        private static final long serialVersionUID = 1L;

        public RegistryUnavailableException(String message) {
            super(message);
        }

        public RegistryUnavailableException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
