package dev.smartbroker.smart.tenant;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Optional;

/**
 * A FHIR service base URL ({@code iss}) in canonical form.
 *
 * <p>Two {@code iss} values name the same tenant when their canonical forms are equal: scheme and host are
 * case-insensitive, default ports and trailing slashes are dropped, and the path is compared exactly because
 * tenant ids in a path are case-sensitive opaque segments (docs/ehr/cerner.md §1.1). A URL with a query,
 * fragment or user-info never names a tenant.
 */
public final class FhirBaseUrl {

    private final URI uri;
    private final String canonical;

    private FhirBaseUrl(URI uri, String canonical) {
        this.uri = uri;
        this.canonical = canonical;
    }

    /** Parses and canonicalises, or returns empty when the value cannot be a FHIR base URL. */
    public static Optional<FhirBaseUrl> parse(String value) {
        if (value == null || value.isBlank() || value.length() > 2048) {
            return Optional.empty();
        }
        URI uri;
        try {
            uri = new URI(value.trim());
        } catch (URISyntaxException e) {
            return Optional.empty();
        }
        String scheme = uri.getScheme() == null ? null : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!"https".equals(scheme) && !"http".equals(scheme)) {
            return Optional.empty();
        }
        if (uri.getRawUserInfo() != null || uri.getRawQuery() != null || uri.getRawFragment() != null
                || uri.getHost() == null || uri.isOpaque()) {
            return Optional.empty();
        }
        String host = uri.getHost().toLowerCase(Locale.ROOT);
        int port = uri.getPort();
        if (("https".equals(scheme) && port == 443) || ("http".equals(scheme) && port == 80)) {
            port = -1;
        }
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        while (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        if (path.isEmpty() || path.contains("//") || path.contains("/../") || path.endsWith("/..")) {
            return Optional.empty();
        }
        String canonical = scheme + "://" + host + (port == -1 ? "" : ":" + port) + path;
        return Optional.of(new FhirBaseUrl(URI.create(canonical), canonical));
    }

    /** The canonical URL string, without a trailing slash. */
    public String value() {
        return canonical;
    }

    public String scheme() {
        return uri.getScheme();
    }

    /** Host, plus {@code :port} when the port is not the scheme's default. */
    public String authority() {
        return uri.getPort() == -1 ? uri.getHost() : uri.getHost() + ":" + uri.getPort();
    }

    public String host() {
        return uri.getHost();
    }

    /** The canonical path, without a trailing slash, e.g. {@code /r4/ec2458f2-1e24-41c8-b71b-0e701af7583d}. */
    public String path() {
        return uri.getRawPath();
    }

    public boolean isHttps() {
        return "https".equals(uri.getScheme());
    }

    public boolean isLoopback() {
        return isLoopbackHost(uri.getHost());
    }

    public static boolean isLoopbackHost(String host) {
        if (host == null) {
            return false;
        }
        String h = host.toLowerCase(Locale.ROOT);
        return h.equals("localhost") || h.equals("127.0.0.1") || h.startsWith("127.") || h.equals("[::1]") || h.equals("::1");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FhirBaseUrl other && other.canonical.equals(canonical);
    }

    @Override
    public int hashCode() {
        return canonical.hashCode();
    }

    @Override
    public String toString() {
        return canonical;
    }
}
