package dev.smartbroker.simulator;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.sun.net.httpserver.HttpServer;

/**
 * An app's JWKS URL, served for real on loopback so that the simulator fetches it: the test controls the keys,
 * the Cache-Control header, and counts the fetches.
 */
final class JwksServer implements AutoCloseable {

    private final HttpServer server;
    private final AtomicInteger hits = new AtomicInteger();
    private volatile List<JWK> keys = List.of();
    private volatile String cacheControl;

    JwksServer() {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/jwks.json", http -> {
            hits.incrementAndGet();
            byte[] body = new JWKSet(keys).toString(true).getBytes(StandardCharsets.UTF_8);
            http.getResponseHeaders().set("Content-Type", "application/json");
            if (cacheControl != null) {
                http.getResponseHeaders().set("Cache-Control", cacheControl);
            }
            http.sendResponseHeaders(200, body.length);
            try (OutputStream out = http.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/jwks.json";
    }

    /** Publishes these public keys (private parts are dropped by JWKSet.toString(true)). */
    JwksServer keys(JWK... published) {
        keys = List.of(published);
        return this;
    }

    /** The Cache-Control header of the next answers; null sends none. */
    JwksServer cacheControl(String value) {
        cacheControl = value;
        return this;
    }

    int hits() {
        return hits.get();
    }

    void resetHits() {
        hits.set(0);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
