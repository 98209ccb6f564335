package dev.smartbroker.smart.http;

import java.io.IOException;
import java.net.SocketTimeoutException;

import dev.smartbroker.smart.tenant.SmartTenantConfig;
import org.apache.http.client.config.RequestConfig;
import org.apache.http.conn.ConnectTimeoutException;
import org.keycloak.http.simple.SimpleHttp;
import org.keycloak.models.KeycloakSession;

/**
 * Keycloak's HTTP client with the tenant's bounded timeouts, so that a slow EHR never holds a clinician's
 * browser or a backend job longer than the admin allowed.
 */
public final class UpstreamHttp {

    private UpstreamHttp() {
    }

    public static SimpleHttp client(KeycloakSession session, SmartTenantConfig config) {
        return client(session, config.connectTimeoutMillis(), config.readTimeoutMillis());
    }

    public static SimpleHttp client(KeycloakSession session, int connectTimeoutMillis, int readTimeoutMillis) {
        RequestConfig requestConfig = RequestConfig.custom()
                .setConnectTimeout(connectTimeoutMillis)
                .setConnectionRequestTimeout(connectTimeoutMillis)
                .setSocketTimeout(readTimeoutMillis)
                .build();
        return SimpleHttp.create(session).withRequestConfig(requestConfig);
    }

    /** Turns an I/O failure into UNREACHABLE or TIMEOUT; the message names the URL, never a body. */
    public static UpstreamException classify(IOException e, String url) {
        if (e instanceof SocketTimeoutException || e instanceof ConnectTimeoutException) {
            return new UpstreamException(UpstreamException.Kind.TIMEOUT, "timed out calling " + url, e);
        }
        return new UpstreamException(UpstreamException.Kind.UNREACHABLE, "could not reach " + url + ": " + e.getClass().getSimpleName(), e);
    }
}
