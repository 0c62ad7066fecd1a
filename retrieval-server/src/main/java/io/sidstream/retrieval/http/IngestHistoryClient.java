package io.sidstream.retrieval.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sidstream.platform.SidstreamException;
import io.sidstream.platform.TransientException;
import io.sidstream.platform.http.BearerTokens;
import io.sidstream.retrieval.request.UnknownUserException;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Fetches a user's stored history from ingest-stream's interactive query ({@code GET
 * /users/{id}/history}; any ingest instance answers, routing to the owner), for requests that name
 * a user instead of carrying a history.
 */
public final class IngestHistoryClient {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String baseUrl;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final String token;

    public IngestHistoryClient(String baseUrl) {
        this(baseUrl, null);
    }

    /**
     * @param token bearer token for ingest-stream's API, or null
     */
    public IngestHistoryClient(String baseUrl, String token) {
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.token = token;
    }

    /** The user's item ids and SIDs, oldest first. */
    public History history(String userId) {
        HttpResponse<String> response;
        try {
            response =
                    http.send(
                            BearerTokens.withToken(
                                            HttpRequest.newBuilder(
                                                            URI.create(
                                                                    baseUrl
                                                                            + "/users/"
                                                                            + URLEncoder.encode(
                                                                                    userId,
                                                                                    StandardCharsets
                                                                                            .UTF_8)
                                                                            + "/history"))
                                                    .timeout(Duration.ofSeconds(5)),
                                            token)
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new TransientException(
                    "ingest-stream at " + baseUrl + " unreachable: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SidstreamException("interrupted while fetching the history of " + userId, e);
        }
        if (response.statusCode() == 404) {
            throw new UnknownUserException(userId);
        }
        if (response.statusCode() == 401) {
            // Our own credentials are wrong: no retry fixes that.
            throw new SidstreamException(
                    "ingest-stream at "
                            + baseUrl
                            + " refused our token (401): check "
                            + "SIDSTREAM_INGEST_TOKEN_FILE");
        }
        if (response.statusCode() != 200) {
            throw new TransientException(
                    "history lookup of "
                            + userId
                            + " failed: HTTP "
                            + response.statusCode()
                            + " "
                            + response.body());
        }
        try {
            JsonNode body = JSON.readTree(response.body());
            List<String> items = new ArrayList<>();
            List<int[]> sids = new ArrayList<>();
            for (JsonNode e : body.path("entries")) {
                items.add(e.path("itemId").asText());
                int[] sid = new int[e.path("sid").size()];
                for (int i = 0; i < sid.length; i++) {
                    sid[i] = e.path("sid").get(i).asInt();
                }
                sids.add(sid);
            }
            return new History(items, sids);
        } catch (IOException e) {
            throw new SidstreamException(
                    "unreadable history of " + userId + ": " + e.getMessage(), e);
        }
    }

    /** A looked-up history: item ids and their current SIDs, oldest first. */
    public record History(List<String> itemIds, List<int[]> sids) {}
}
