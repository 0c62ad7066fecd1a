package io.sidstream.platform.http;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;

/**
 * The bearer tokens an HTTP API accepts, read from a file (a mounted secret: one token per line,
 * blank lines and {@code #} comments ignored). Without a file every request is accepted: local
 * mode, or a deployment that authenticates in front of the service.
 */
public final class BearerTokens {
    /** Accepts every request. */
    public static final BearerTokens NONE = new BearerTokens(List.of());

    private final List<byte[]> tokens;

    private BearerTokens(List<byte[]> tokens) {
        this.tokens = tokens;
    }

    /**
     * The tokens of a file; a blank path means none (no authentication).
     *
     * @throws IllegalArgumentException when the file is unreadable or holds no token
     */
    public static BearerTokens fromFile(String path) {
        if (path == null || path.isBlank()) {
            return NONE;
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(Path.of(path), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the token file " + path + ": " + e);
        }
        List<byte[]> tokens =
                lines.stream()
                        .map(String::strip)
                        .filter(l -> !l.isEmpty() && !l.startsWith("#"))
                        .map(l -> l.getBytes(StandardCharsets.UTF_8))
                        .toList();
        if (tokens.isEmpty()) {
            throw new IllegalArgumentException("the token file " + path + " holds no token");
        }
        return new BearerTokens(tokens);
    }

    /** The first token of a file, for a client; null for a blank path. */
    public static String firstToken(String path) {
        BearerTokens tokens = fromFile(path);
        return tokens.tokens.isEmpty()
                ? null
                : new String(tokens.tokens.get(0), StandardCharsets.UTF_8);
    }

    /** The request with {@code Authorization: Bearer token}, or unchanged for a null token. */
    public static java.net.http.HttpRequest.Builder withToken(
            java.net.http.HttpRequest.Builder request, String token) {
        return token == null ? request : request.header("Authorization", "Bearer " + token);
    }

    /** The request with an {@code Authorization} header passed on, or unchanged for null. */
    public static java.net.http.HttpRequest.Builder withAuthorization(
            java.net.http.HttpRequest.Builder request, String authorization) {
        return authorization == null ? request : request.header("Authorization", authorization);
    }

    public boolean enabled() {
        return !tokens.isEmpty();
    }

    /** Whether an {@code Authorization} header value carries one of the tokens. */
    public boolean accepts(String authorization) {
        if (tokens.isEmpty()) {
            return true;
        }
        if (authorization == null || !authorization.startsWith("Bearer ")) {
            return false;
        }
        byte[] offered = authorization.substring(7).strip().getBytes(StandardCharsets.UTF_8);
        boolean ok = false;
        for (byte[] token : tokens) {
            // Constant time per token, so the comparison leaks nothing of a token's prefix.
            ok |= MessageDigest.isEqual(token, offered);
        }
        return ok;
    }
}
