package dev.smartbroker.it.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Base64;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** JSON helpers for tests. */
public final class Json {

    public static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {
    }

    public static JsonNode parse(String json) {
        try {
            return MAPPER.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException("not JSON: " + json, e);
        }
    }

    public static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    /** The payload of a JWS, unverified (for reading our own Keycloak tokens in assertions). */
    public static JsonNode jwtPayload(String jwt) {
        String[] parts = jwt.split("\\.");
        return parse(new String(Base64.getUrlDecoder().decode(parts[1]), java.nio.charset.StandardCharsets.UTF_8));
    }
}
