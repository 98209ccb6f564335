package dev.smartbroker.simulator;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;

/**
 * Apps' JWKS, fetched from their registered URL and cached no longer than the response's Cache-Control allows
 * (HL7 client-confidential-asymmetric); an unknown kid causes one refetch. Every fetch is logged.
 */
final class ClientKeys {

    static final long DEFAULT_MAX_AGE_SECONDS = 60;
    private static final Pattern MAX_AGE = Pattern.compile("max-age\\s*=\\s*(\\d+)");

    private record Entry(JWKSet set, Instant expires) {
    }

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
    private final Map<String, Entry> cache = new ConcurrentHashMap<>();
    private final RequestLog log;

    ClientKeys(RequestLog log) {
        this.log = log;
    }

    /** The key with {@code kid} in the app's JWKS, or null. */
    JWK key(String url, String kid) {
        Entry entry = cache.get(url);
        boolean fresh = entry != null && entry.expires().isAfter(Instant.now());
        if (fresh) {
            JWK key = entry.set().getKeyByKeyId(kid);
            if (key != null) {
                return key;
            }
        }
        JWKSet fetched = fetch(url, fresh ? OutboundFetch.UNKNOWN_KID : OutboundFetch.CACHE_MISS);
        return fetched == null ? null : fetched.getKeyByKeyId(kid);
    }

    private JWKSet fetch(String url, String reason) {
        int status = 0;
        long maxAge = 0;
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            status = response.statusCode();
            if (status != 200) {
                return null;
            }
            JWKSet set = JWKSet.parse(response.body());
            maxAge = maxAge(response.headers().firstValue("Cache-Control").orElse(null));
            if (maxAge > 0) {
                cache.put(url, new Entry(set, Instant.now().plusSeconds(maxAge)));
            } else {
                cache.remove(url);
            }
            return set;
        } catch (IOException | ParseException | IllegalArgumentException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } finally {
            log.addOutbound(new OutboundFetch(Instant.now(), url, status, maxAge, reason));
        }
    }

    static long maxAge(String cacheControl) {
        if (cacheControl == null) {
            return DEFAULT_MAX_AGE_SECONDS;
        }
        String lower = cacheControl.toLowerCase(Locale.ROOT);
        if (lower.contains("no-store") || lower.contains("no-cache")) {
            return 0;
        }
        Matcher m = MAX_AGE.matcher(lower);
        return m.find() ? Long.parseLong(m.group(1)) : DEFAULT_MAX_AGE_SECONDS;
    }
}
