package dev.smartbroker.simulator;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Apps' JWKS, fetched from their registered URL and cached no longer than the response's Cache-Control allows
 * (HL7 client-confidential-asymmetric, docs/ehr/cerner.md §4): {@code max-age} is honoured, {@code no-store} and
 * {@code no-cache} mean no caching, no header means {@value #DEFAULT_MAX_AGE_SECONDS} s. Cerner's own policy is
 * UNCONFIRMED (§3.1), so this is the HL7 rule. A kid missing from a cached set causes one refetch. Concurrent
 * requests for one URL share a fetch. Every fetch is recorded in {@link RequestLog#outbound()}.
 */
final class ClientKeys {

    static final long DEFAULT_MAX_AGE_SECONDS = 60;
    private static final Pattern MAX_AGE = Pattern.compile("(?:^|[,\\s])max-age\\s*=\\s*\"?(\\d{1,9})");
    private static final Logger LOG = LoggerFactory.getLogger(ClientKeys.class);

    private record Entry(JWKSet set, Instant expires) {

        boolean fresh(Instant now) {
            return expires.isAfter(now);
        }
    }

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(3)).build();
    private final Map<String, Entry> cache = new ConcurrentHashMap<>();
    private final Map<String, Object> locks = new ConcurrentHashMap<>();
    private final RequestLog log;
    private final Clock clock;

    ClientKeys(RequestLog log, Clock clock) {
        this.log = log;
        this.clock = clock;
    }

    /** The key with {@code kid} in the app's JWKS, or null. */
    JWK key(String url, String kid) {
        Entry seen = cache.get(url);
        boolean seenFresh = seen != null && seen.fresh(clock.instant());
        if (seenFresh) {
            JWK key = seen.set().getKeyByKeyId(kid);
            if (key != null) {
                return key;
            }
        }
        synchronized (locks.computeIfAbsent(url, u -> new Object())) {
            Entry now = cache.get(url);
            if (now != null && now != seen && now.fresh(clock.instant())) {
                // Another request fetched while this one waited: its set may have the kid.
                JWK key = now.set().getKeyByKeyId(kid);
                if (key != null) {
                    return key;
                }
            }
            JWKSet fetched = fetch(url, seenFresh ? OutboundFetch.UNKNOWN_KID : OutboundFetch.CACHE_MISS);
            return fetched == null ? null : fetched.getKeyByKeyId(kid);
        }
    }

    private JWKSet fetch(String url, String reason) {
        int status = 0;
        long maxAge = 0;
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5))
                    .header("Accept", "application/json").GET().build(), HttpResponse.BodyHandlers.ofString());
            status = response.statusCode();
            if (status != 200) {
                cache.remove(url);
                return null;
            }
            JWKSet set = JWKSet.parse(response.body());
            maxAge = maxAge(response.headers().firstValue("Cache-Control").orElse(null));
            if (maxAge > 0) {
                cache.put(url, new Entry(set, clock.instant().plusSeconds(maxAge)));
            } else {
                cache.remove(url);
            }
            return set;
        } catch (IOException | ParseException | IllegalArgumentException e) {
            LOG.debug("JWKS fetch from {} failed: {}", url, e.toString());
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } finally {
            log.addOutbound(new OutboundFetch(clock.instant(), url, status, maxAge, reason));
        }
    }

    /** Seconds a JWKS may be cached under this Cache-Control value (0: not at all). */
    static long maxAge(String cacheControl) {
        if (cacheControl == null || cacheControl.isBlank()) {
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
