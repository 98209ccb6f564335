package dev.smartbroker.it.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;

/**
 * A scripted browser for redirect chains: one cookie jar, redirects followed by hand so every hop is visible.
 * Its cookie jar keeps {@code Secure} cookies on http://127.0.0.1 as browsers do for loopback (Keycloak always
 * marks its cookies Secure; java.net's CookieManager would drop them).
 */
public final class Browser {

    private final HttpClient client;
    private final List<Cookie> cookies = new ArrayList<>();
    private final List<Page> history = new ArrayList<>();
    private String acceptLanguage = "en";

    /** A browser with connections of its own. */
    public Browser() {
        this(transport());
    }

    /**
     * A browser with its own cookies on a shared transport, for runs of thousands of browsers (each its own session)
     * that must not hold thousands of idle connections.
     */
    public Browser(HttpClient transport) {
        this.client = transport;
    }

    /** A transport as browsers here use it: redirects are never followed by the client. */
    public static HttpClient transport() {
        return HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
    }

    /** One HTTP response, with the request URL it answered. */
    public record Page(int status, String url, String body, HttpHeaders headers) {

        public String location() {
            String location = headers.firstValue("Location").orElse(null);
            return location == null ? null : URI.create(url).resolve(location).toString();
        }

        public boolean isRedirect() {
            return status >= 300 && status < 400 && location() != null;
        }

        public Document document() {
            return Jsoup.parse(body, url);
        }

        public String text(String cssSelector) {
            Element element = document().selectFirst(cssSelector);
            return element == null ? null : element.text();
        }

        @Override
        public String toString() {
            return status + " " + url + (isRedirect() ? " -> " + location() : "");
        }
    }

    private record Cookie(String name, String value, String host, String path, Instant expires) {

        boolean matches(URI uri) {
            String requestPath = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
            return host.equalsIgnoreCase(uri.getHost()) && (requestPath.startsWith(path) || (requestPath + "/").equals(path))
                    && (expires == null || expires.isAfter(Instant.now()));
        }
    }

    public Browser acceptLanguage(String language) {
        this.acceptLanguage = language;
        return this;
    }

    public Page get(String url) {
        return send(HttpRequest.newBuilder(URI.create(url)).GET(), url);
    }

    public Page post(String url, Map<String, String> form) {
        return send(HttpRequest.newBuilder(URI.create(url))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(formBody(form))), url);
    }

    /** Follows redirects from {@code page} until a non-redirect, or until the next location satisfies {@code stop}. */
    public Page follow(Page page, Predicate<String> stop) {
        Page current = page;
        for (int hops = 0; current.isRedirect() && hops < 30; hops++) {
            if (stop.test(current.location())) {
                return current;
            }
            current = get(current.location());
        }
        return current;
    }

    public Page follow(Page page) {
        return follow(page, location -> false);
    }

    /** Submits the first form matching {@code selector} with its hidden inputs and the given fields. */
    public Page submit(Page page, String selector, Map<String, String> fields) {
        Element form = page.document().selectFirst(selector);
        if (form == null) {
            throw new AssertionError("no form '" + selector + "' on " + page.url() + ":\n" + page.body());
        }
        Map<String, String> values = new LinkedHashMap<>();
        for (Element input : form.select("input[name]")) {
            String type = input.attr("type").toLowerCase(Locale.ROOT);
            if (type.equals("submit") || type.equals("button") || ((type.equals("checkbox") || type.equals("radio")) && !input.hasAttr("checked"))) {
                continue;
            }
            values.put(input.attr("name"), input.attr("value"));
        }
        values.putAll(fields);
        String action = form.absUrl("action").isEmpty() ? page.url() : form.absUrl("action");
        if ("get".equalsIgnoreCase(form.attr("method"))) {
            String query = formBody(values);
            return get(action + (action.contains("?") ? "&" : "?") + query);
        }
        return post(action, values);
    }

    public List<Page> history() {
        return List.copyOf(history);
    }

    public void clearHistory() {
        history.clear();
    }

    /** Names of the cookies the jar would send to {@code url}. */
    public List<String> cookieNames(String url) {
        URI uri = URI.create(url);
        return cookies.stream().filter(c -> c.matches(uri)).map(Cookie::name).toList();
    }

    public String cookie(String url, String name) {
        URI uri = URI.create(url);
        return cookies.stream().filter(c -> c.matches(uri) && c.name().equals(name)).map(Cookie::value).findFirst().orElse(null);
    }

    public void removeCookie(String name) {
        cookies.removeIf(c -> c.name().equals(name));
    }

    private Page send(HttpRequest.Builder builder, String url) {
        URI uri = URI.create(url);
        String cookieHeader = cookies.stream().filter(c -> c.matches(uri))
                .map(c -> c.name() + "=" + c.value()).collect(Collectors.joining("; "));
        if (!cookieHeader.isEmpty()) {
            builder.header("Cookie", cookieHeader);
        }
        builder.header("Accept-Language", acceptLanguage).header("Accept", "text/html,application/json;q=0.9,*/*;q=0.8")
                .timeout(Duration.ofSeconds(60));
        try {
            HttpResponse<String> response = client.send(builder.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            response.headers().allValues("Set-Cookie").forEach(h -> store(uri, h));
            Page page = new Page(response.statusCode(), url, response.body(), response.headers());
            history.add(page);
            return page;
        } catch (IOException e) {
            throw new UncheckedIOException("request to " + url + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void store(URI uri, String header) {
        String[] parts = header.split(";");
        int eq = parts[0].indexOf('=');
        if (eq <= 0) {
            return;
        }
        String name = parts[0].substring(0, eq).trim();
        String value = parts[0].substring(eq + 1).trim();
        String path = "/";
        Instant expires = null;
        for (int i = 1; i < parts.length; i++) {
            String attribute = parts[i].trim();
            String lower = attribute.toLowerCase(Locale.ROOT);
            if (lower.startsWith("path=")) {
                path = attribute.substring(5);
            } else if (lower.startsWith("max-age=")) {
                long seconds = Long.parseLong(attribute.substring(8).trim());
                expires = seconds <= 0 ? Instant.EPOCH : Instant.now().plusSeconds(seconds);
            } else if (lower.startsWith("expires=") && expires == null) {
                try {
                    expires = java.time.ZonedDateTime.parse(attribute.substring(8).trim(),
                            java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
                } catch (RuntimeException e) {
                    // unparseable: session cookie
                }
            }
        }
        String host = uri.getHost();
        String cookiePath = path;
        cookies.removeIf(c -> c.name().equals(name) && c.host().equalsIgnoreCase(host) && c.path().equals(cookiePath));
        if (expires == null || expires.isAfter(Instant.now())) {
            cookies.add(new Cookie(name, value, host, path, expires));
        }
    }

    public static String formBody(Map<String, String> form) {
        return form.entrySet().stream()
                .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "=" + URLEncoder.encode(e.getValue() == null ? "" : e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
    }

    /** The query parameters of a URL, decoded. */
    public static Map<String, String> query(String url) {
        Map<String, String> params = new LinkedHashMap<>();
        String query = URI.create(url).getRawQuery();
        if (query == null) {
            return params;
        }
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            String key = java.net.URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : java.net.URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            params.putIfAbsent(key, value);
        }
        return params;
    }
}
