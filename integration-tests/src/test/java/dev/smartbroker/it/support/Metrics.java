package dev.smartbroker.it.support;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One scrape of Keycloak's {@code /metrics} (Prometheus text format) on its management port, read the way a
 * Prometheus server reads it: samples of a name with their labels.
 */
public final class Metrics {

    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})?\\s+(\\S+)(?:\\s+\\S+)?$");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    /** One line of the scrape. */
    public record Sample(String name, Map<String, String> labels, double value) {
    }

    private final String text;
    private final List<Sample> samples;

    private Metrics(String text, List<Sample> samples) {
        this.text = text;
        this.samples = samples;
    }

    /** Scrapes the server's {@code /metrics}. */
    public static Metrics scrape(KeycloakServer keycloak) {
        // Prometheus text, as a Prometheus server asks for it (the endpoint refuses application/json with 406).
        Http.Reply reply = Http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(keycloak.metricsUrl() + "/metrics"))
                .timeout(java.time.Duration.ofSeconds(30)).header("Accept", "text/plain").GET().build());
        if (reply.status() != 200) {
            throw new AssertionError("GET /metrics answered " + reply.status() + ": " + reply.body());
        }
        return parse(reply.body());
    }

    static Metrics parse(String text) {
        List<Sample> samples = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            Matcher m = SAMPLE.matcher(line.trim());
            if (!m.matches()) {
                continue;
            }
            Map<String, String> labels = new LinkedHashMap<>();
            if (m.group(2) != null) {
                Matcher l = LABEL.matcher(m.group(2));
                while (l.find()) {
                    labels.put(l.group(1), l.group(2));
                }
            }
            samples.add(new Sample(m.group(1), labels, Double.parseDouble(m.group(3))));
        }
        return new Metrics(text, List.copyOf(samples));
    }

    /** The whole scrape as text. */
    public String text() {
        return text;
    }

    /** Every sample of {@code name}. */
    public List<Sample> samples(String name) {
        return samples.stream().filter(s -> s.name().equals(name)).toList();
    }

    /** The sum of the samples of {@code name} whose labels include all of {@code labels}; 0 when there are none. */
    public double value(String name, Map<String, String> labels) {
        return samples(name).stream()
                .filter(s -> labels.entrySet().stream().allMatch(e -> e.getValue().equals(s.labels().get(e.getKey()))))
                .mapToDouble(Sample::value).sum();
    }

    /** How much {@code name} with {@code labels} grew since {@code before}. */
    public double delta(Metrics before, String name, Map<String, String> labels) {
        return value(name, labels) - before.value(name, labels);
    }
}
