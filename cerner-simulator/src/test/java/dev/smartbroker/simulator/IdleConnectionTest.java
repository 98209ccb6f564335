package dev.smartbroker.simulator;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static dev.smartbroker.simulator.Fixture.SANDBOX;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * withIdleConnectionTimeoutMillis: the simulator drops keep-alive connections idle past the timeout, silently, as a
 * server with a short keep-alive timeout does, and never one that is waiting for its answer or kept busy.
 */
class IdleConnectionTest {

    static final long TIMEOUT_MS = 300;
    CernerSimulator sim;

    @AfterEach
    void stop() {
        if (sim != null) {
            sim.close();
        }
    }

    CernerSimulator start(long idleMillis) {
        sim = CernerSimulator.start(SimulatorConfig.defaults().withPort(0).withIdleConnectionTimeoutMillis(idleMillis));
        return sim;
    }

    /** A keep-alive HTTP/1.1 connection spoken by hand, so that the test sees exactly what the server does to it. */
    static final class Connection implements AutoCloseable {
        final Socket socket;
        final InputStream in;
        final OutputStream out;
        final String host;

        Connection(String baseUrl) throws IOException {
            URI uri = URI.create(baseUrl);
            socket = new Socket(InetAddress.getLoopbackAddress(), uri.getPort());
            socket.setSoTimeout(10_000);
            in = socket.getInputStream();
            out = socket.getOutputStream();
            host = uri.getHost() + ":" + uri.getPort();
        }

        void send(String path) throws IOException {
            out.write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nAccept: application/json\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }

        /** One response: status line and headers as text, then exactly Content-Length bytes of body. */
        String response() throws IOException {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    throw new IOException("connection closed after " + head.size() + " bytes");
                }
                head.write(b);
            }
            String headers = head.toString(StandardCharsets.US_ASCII);
            int length = 0;
            for (String line : headers.split("\r\n")) {
                if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                    length = Integer.parseInt(line.substring("content-length:".length()).trim());
                }
            }
            return headers + new String(in.readNBytes(length), StandardCharsets.UTF_8);
        }

        String get(String path) throws IOException {
            send(path);
            return response();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    @Test
    void closes_a_keep_alive_connection_idle_past_the_timeout_with_a_plain_fin() throws IOException {
        start(TIMEOUT_MS);
        try (Connection c = new Connection(sim.baseUrl())) {
            String first = c.get("/styles/smart-v1.json");
            long answered = System.nanoTime();
            assertThat(first).startsWith("HTTP/1.1 200").doesNotContainIgnoringCase("connection: close");

            // Blocks until the server closes; the socket timeout only bounds a failing run.
            int next = c.in.read();
            long idleMs = (System.nanoTime() - answered) / 1_000_000;

            assertThat(next).as("an orderly close (FIN), not a reset").isEqualTo(-1);
            assertThat(idleMs).isGreaterThanOrEqualTo(TIMEOUT_MS - 20).isLessThan(TIMEOUT_MS + 2_000);
            assertThat(sim.idleConnectionsClosed()).isEqualTo(1);
            // A client that reuses it now gets no answer at all: what a pooled client reports as NoHttpResponseException.
            assertThatThrownBy(() -> c.get("/styles/smart-v1.json")).isInstanceOf(IOException.class);
        }
    }

    @Test
    void closes_a_connection_that_never_sent_a_request() throws IOException {
        start(TIMEOUT_MS);
        try (Connection c = new Connection(sim.baseUrl())) {
            assertThat(c.in.read()).isEqualTo(-1);
            assertThat(sim.idleConnectionsClosed()).isEqualTo(1);
        }
    }

    @Test
    void keeps_a_connection_that_waits_longer_than_the_timeout_for_its_answer() throws IOException {
        start(TIMEOUT_MS);
        sim.faults().add(Fault.of(Endpoint.METADATA, FaultType.LATENCY).latency(3 * TIMEOUT_MS));
        try (Connection c = new Connection(sim.baseUrl())) {
            String slow = c.get("/r4/" + SANDBOX + "/metadata");

            assertThat(slow).startsWith("HTTP/1.1 200").contains("CapabilityStatement");
            assertThat(sim.idleConnectionsClosed()).isZero();
            assertThat(c.get("/styles/smart-v1.json")).as("the same connection goes on").startsWith("HTTP/1.1 200");
        }
    }

    @Test
    void keeps_a_busy_connection_open_however_long_it_lives() throws IOException {
        start(TIMEOUT_MS);
        try (Connection c = new Connection(sim.baseUrl())) {
            long start = System.nanoTime();
            int requests = 0;
            while (System.nanoTime() - start < 3 * TIMEOUT_MS * 1_000_000 || requests < 10) {
                assertThat(c.get("/styles/smart-v1.json")).startsWith("HTTP/1.1 200");
                requests++;
            }

            assertThat(sim.idleConnectionsClosed()).isZero();
        }
    }

    @Test
    void still_serves_the_admin_api_to_loopback_clients_behind_the_forwarder() {
        start(TIMEOUT_MS);

        Browser.Reply admin = new Browser().get(sim.baseUrl() + "/admin/tenants");
        Browser.Reply token = new Browser().postForm(sim.tokenEndpoint(SANDBOX), java.util.Map.of("grant_type", "client_credentials"));

        assertThat(admin.status()).isEqualTo(200);
        assertThat(token.status()).as("the rest of the simulator too").isEqualTo(401);
        assertThat(sim.requestLog().entries()).singleElement().satisfies(e -> assertThat(e.endpoint()).isEqualTo(Endpoint.TOKEN));
    }

    @Test
    void is_off_by_default_and_set_in_the_config_file(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("simulator.json");
        Files.writeString(file, "{\"port\": 0, \"idleConnectionTimeoutMillis\": 250}");

        assertThat(SimulatorConfig.defaults().idleConnectionTimeoutMillis()).isZero();
        assertThat(SimulatorConfig.fromJson(file).idleConnectionTimeoutMillis()).isEqualTo(250);
        assertThat(SimulatorConfig.fromJson(file).withPort(0).idleConnectionTimeoutMillis()).as("kept by with…").isEqualTo(250);
        assertThatThrownBy(() -> SimulatorConfig.defaults().withIdleConnectionTimeoutMillis(-1)).isInstanceOf(IllegalArgumentException.class);
        try (CernerSimulator plain = CernerSimulator.start(SimulatorConfig.defaults().withPort(0))) {
            assertThat(plain.idleConnectionsClosed()).isZero();
        }
    }

    @Test
    void close_releases_the_port_and_stops_the_forwarder_thread() throws IOException {
        start(TIMEOUT_MS);
        int port = URI.create(sim.baseUrl()).getPort();
        try (Connection c = new Connection(sim.baseUrl())) {
            assertThat(c.get("/styles/smart-v1.json")).startsWith("HTTP/1.1 200");

            sim.close();

            assertThat(c.in.read()).as("open connections are closed").isEqualTo(-1);
        }
        assertThatThrownBy(() -> new Socket(InetAddress.getLoopbackAddress(), port).close()).isInstanceOf(ConnectException.class);
        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().equals("cerner-simulator-idle-forwarder-" + port));
        sim = null;
    }
}
