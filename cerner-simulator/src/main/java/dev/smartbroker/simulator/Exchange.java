package dev.smartbroker.simulator;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.sun.net.httpserver.HttpExchange;

/** One HTTP exchange with the small helpers the simulator needs. */
final class Exchange {

    private final HttpExchange http;
    private final Map<String, String> query;
    private Map<String, String> form;
    private int status;
    /** Runs once, just before the response goes out, so that a client never sees its answer before the log does. */
    private Runnable beforeSend;
    String tenant;
    Endpoint endpoint = Endpoint.OTHER;
    String grantType;
    String clientId;

    /** The address of the client that sent the request (null if unknown: it then counts as not loopback). */
    private final InetAddress client;

    Exchange(HttpExchange http, InetAddress client) {
        this.http = http;
        this.client = client;
        this.query = parse(http.getRequestURI().getRawQuery());
    }

    String method() {
        return http.getRequestMethod().toUpperCase(Locale.ROOT);
    }

    String path() {
        return http.getRequestURI().getRawPath();
    }

    String query(String name) {
        return query.get(name);
    }

    String rawQuery() {
        return http.getRequestURI().getRawQuery();
    }

    Map<String, String> queryParams() {
        return query;
    }

    /** Form body parameters (first value of each); empty unless the body is application/x-www-form-urlencoded. */
    Map<String, String> form() throws IOException {
        if (form == null) {
            String type = header("Content-Type");
            if (type != null && type.toLowerCase(Locale.ROOT).startsWith("application/x-www-form-urlencoded")) {
                try (InputStream in = http.getRequestBody()) {
                    form = parse(new String(in.readNBytes(1 << 20), StandardCharsets.UTF_8));
                }
            } else {
                form = Map.of();
            }
        }
        return form;
    }

    /** Query parameters for GET, form parameters for POST. */
    Map<String, String> params() throws IOException {
        return "POST".equals(method()) ? form() : query;
    }

    byte[] body() throws IOException {
        try (InputStream in = http.getRequestBody()) {
            return in.readNBytes(1 << 20);
        }
    }

    String header(String name) {
        return http.getRequestHeaders().getFirst(name);
    }

    String cookie(String name) {
        String header = header("Cookie");
        if (header == null) {
            return null;
        }
        for (String part : header.split(";")) {
            int eq = part.indexOf('=');
            if (eq > 0 && part.substring(0, eq).trim().equals(name)) {
                return part.substring(eq + 1).trim();
            }
        }
        return null;
    }

    boolean fromLoopback() {
        return isLoopback(client);
    }

    /** The admin API's gate: 127.0.0.0/8 and ::1 only. */
    static boolean isLoopback(InetAddress remote) {
        return remote != null && remote.isLoopbackAddress();
    }

    /** Scheme, host and port this request was addressed to. */
    String origin() {
        String host = header("Host");
        return "http://" + (host == null ? "127.0.0.1" : host);
    }

    void addHeader(String name, String value) {
        http.getResponseHeaders().add(name, value);
    }

    int status() {
        return status;
    }

    void json(int code, Object body) throws IOException {
        String text = body instanceof String s ? s : toJson(body);
        send(code, "application/json;charset=utf-8", text.getBytes(StandardCharsets.UTF_8));
    }

    void fhir(int code, String body) throws IOException {
        send(code, "application/fhir+json;charset=utf-8", body.getBytes(StandardCharsets.UTF_8));
    }

    void html(int code, String body) throws IOException {
        addHeader("Cache-Control", "no-store");
        addHeader("Content-Security-Policy", "default-src 'self'; style-src 'unsafe-inline'; form-action *");
        send(code, "text/html;charset=utf-8", body.getBytes(StandardCharsets.UTF_8));
    }

    void redirect(int code, String location) throws IOException {
        addHeader("Location", location);
        addHeader("Cache-Control", "no-store");
        send(code, null, new byte[0]);
    }

    void empty(int code) throws IOException {
        send(code, null, new byte[0]);
    }

    void beforeSend(Runnable action) {
        this.beforeSend = action;
    }

    /** Runs the before-send action if it has not run yet (for exchanges that end without an answer). */
    void runBeforeSend() {
        Runnable action = beforeSend;
        beforeSend = null;
        if (action != null) {
            action.run();
        }
    }

    void send(int code, String contentType, byte[] body) throws IOException {
        if (contentType != null) {
            http.getResponseHeaders().set("Content-Type", contentType);
        }
        this.status = code;
        runBeforeSend();
        http.sendResponseHeaders(code, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            try (OutputStream out = http.getResponseBody()) {
                out.write(body);
            }
        }
        http.close();
    }

    boolean answered() {
        return status != 0;
    }

    static String toJson(Object body) {
        try {
            return SimulatorConfig.JSON.writeValueAsString(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static Map<String, String> parse(String raw) {
        if (raw == null || raw.isEmpty()) {
            return Map.of();
        }
        Map<String, String> params = new LinkedHashMap<>();
        for (String pair : raw.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            try {
                String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                params.putIfAbsent(key, value);
            } catch (IllegalArgumentException e) {
                // malformed escape: ignore the pair
            }
        }
        return params;
    }

}
