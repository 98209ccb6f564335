package dev.smartbroker.it;

import static org.assertj.core.api.Assertions.assertThat;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import dev.smartbroker.it.support.Environment;
import dev.smartbroker.it.support.Listeners;
import dev.smartbroker.it.support.SmartBrokerEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Nothing the tests start listens beyond loopback: Keycloak (HTTP, management, the H2 server of its database, and
 * whatever else it opens), the simulator, the sample app, and any browser driver a test started. The processes are
 * this JVM (the simulator runs in it) and every process it started, read from Linux's {@code /proc}.
 */
@ExtendWith(SmartBrokerEnvironment.class)
class LoopbackListenersIT {

    private final Environment env;

    LoopbackListenersIT(Environment env) {
        this.env = env;
    }

    private static List<ProcessHandle> ours() {
        return Stream.concat(Stream.of(ProcessHandle.current()), ProcessHandle.current().descendants()).toList();
    }

    private static int port(String url) {
        return URI.create(url).getPort();
    }

    /** The harness's own picks: Keycloak's HTTP, management and database ports, the simulator's and the app's. */
    private List<Integer> harnessPorts() {
        Matcher h2 = Pattern.compile("AUTO_SERVER_PORT=(\\d+)").matcher(env.keycloak().jdbcUrl());
        assertThat(h2.find()).as("the H2 server's port is chosen by the harness: " + env.keycloak().jdbcUrl()).isTrue();
        return List.of(port(env.keycloak().url()), port(env.keycloak().metricsUrl()), Integer.parseInt(h2.group(1)),
                port(env.simulator().baseUrl()), port(env.sampleAppUrl()));
    }

    @Test
    void every_listener_of_the_processes_the_tests_started_is_on_loopback() {
        List<Listeners.Listener> listeners = Listeners.of(ours());

        // The check sees every process: each of the harness's ports is among the listeners it read.
        assertThat(listeners).extracting(Listeners.Listener::port).containsAll(harnessPorts());
        assertThat(listeners).as("listeners beyond loopback").filteredOn(l -> !l.loopback()).isEmpty();
        // How the harness picks them within IT_PORT_RANGE is PortsIT's; here, that a set range was really used.
        String range = System.getenv("IT_PORT_RANGE");
        if (range != null && !range.isBlank()) {
            int first = Integer.parseInt(range.trim().split("-")[0].trim());
            int last = Integer.parseInt(range.trim().split("-")[1].trim());
            assertThat(harnessPorts()).as("the harness's ports with IT_PORT_RANGE=" + range).allSatisfy(port -> assertThat(port).isBetween(first, last));
        }
    }

    @Test
    void the_check_tells_a_wildcard_or_outside_listener_from_a_loopback_one() {
        // /proc/net/tcp and tcp6 as Linux writes them (little-endian words): 0.0.0.0:8080, 127.0.0.1:8081,
        // 192.0.2.2:7800, and [::]:9000, [::1]:9001, [::ffff:127.0.0.1]:9002; a connection (state 01) is no listener.
        String tcp = """
                  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
                   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 101 1 0 100 0 0 10 0
                   1: 0100007F:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 102 1 0 100 0 0 10 0
                   2: 020200C0:1E78 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 103 1 0 100 0 0 10 0
                   3: 0100007F:1F92 0100007F:9E6F 01 00000000:00000000 00:00000000 00000000     0        0 104 1 0 100 0 0 10 0
                """;
        String tcp6 = """
                  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
                   0: 00000000000000000000000000000000:2328 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 201 1 0 100 0 0 10 0
                   1: 00000000000000000000000001000000:2329 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 202 1 0 100 0 0 10 0
                   2: 0000000000000000FFFF00000100007F:232A 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 203 1 0 100 0 0 10 0
                """;
        List<String> outside = new ArrayList<>();
        List<String> loopback = new ArrayList<>();
        Stream.of(Listeners.inTable(tcp), Listeners.inTable(tcp6)).flatMap(List::stream)
                .forEach(l -> (l.loopback() ? loopback : outside).add(l.address().getHostAddress() + ":" + l.port()));

        assertThat(outside).containsExactlyInAnyOrder("0.0.0.0:8080", "192.0.2.2:7800", "0:0:0:0:0:0:0:0:9000");
        assertThat(loopback).containsExactlyInAnyOrder("127.0.0.1:8081", "0:0:0:0:0:0:0:1:9001", "127.0.0.1:9002");
    }
}
