package dev.smartbroker.simulator;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.CookieManager;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;

/** An HTTP client with its own cookie jar and redirects off: a browser whose every step the test sees. */
final class Browser {

    static final ObjectMapper JSON = new ObjectMapper();

    /** One HTTP answer. */
    record Reply(int status, String body, HttpHeaders headers, String url) {

        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON (" + status + "): " + body, e);
            }
        }

        String header(String name) {
            return headers.firstValue(name).orElse(null);
        }

        String location() {
            return header("Location");
        }

        /** Query parameters of the Location header. */
        Map<String, String> locationQuery() {
            return query(location());
        }

        Document document() {
            return Jsoup.parse(body, url);
        }
    }

    private final HttpClient client = HttpClient.newBuilder()
            .followRedirects(HttpClient.Redirect.NEVER)
            .cookieHandler(new CookieManager())
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    Reply get(String url, String... headers) {
        return send(HttpRequest.newBuilder(URI.create(url)).GET(), headers);
    }

    Reply postForm(String url, Map<String, String> form, String... headers) {
        return send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form(form))), headers);
    }

    Reply send(String method, String url, String body, String... headers) {
        HttpRequest.BodyPublisher publisher = body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body);
        return send(HttpRequest.newBuilder(URI.create(url)).method(method, publisher), headers);
    }

    /** Submits a form of {@code reply}'s page, with its fields plus (overriding) {@code fields}. */
    Reply submit(Reply page, String formSelector, Map<String, String> fields) {
        Element form = page.document().selectFirst(formSelector);
        if (form == null) {
            throw new AssertionError("no " + formSelector + " on " + page.url() + ":\n" + page.body());
        }
        Map<String, String> values = new LinkedHashMap<>();
        for (Element input : form.select("input[name]")) {
            values.put(input.attr("name"), input.attr("value"));
        }
        for (Element select : form.select("select[name]")) {
            Element option = select.selectFirst("option[selected]");
            option = option == null ? select.selectFirst("option") : option;
            if (option != null) {
                values.put(select.attr("name"), option.attr("value"));
            }
        }
        values.putAll(fields);
        String action = form.absUrl("action").isEmpty() ? page.url() : form.absUrl("action");
        return "post".equalsIgnoreCase(form.attr("method")) ? postForm(action, values) : get(action + "?" + form(values));
    }

    private Reply send(HttpRequest.Builder request, String... headers) {
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        HttpRequest built = request.timeout(Duration.ofSeconds(20)).build();
        try {
            HttpResponse<String> response = client.send(built, HttpResponse.BodyHandlers.ofString());
            return new Reply(response.statusCode(), response.body(), response.headers(), built.uri().toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static String form(Map<String, String> values) {
        return values.entrySet().stream().filter(e -> e.getValue() != null)
                .map(e -> enc(e.getKey()) + "=" + enc(e.getValue())).collect(Collectors.joining("&"));
    }

    static String enc(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    static Map<String, String> query(String url) {
        Map<String, String> params = new LinkedHashMap<>();
        int q = url == null ? -1 : url.indexOf('?');
        if (q < 0) {
            return params;
        }
        for (String pair : url.substring(q + 1).split("&")) {
            int eq = pair.indexOf('=');
            params.put(URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8),
                    eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return params;
    }
}
