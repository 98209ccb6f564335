package dev.smartbroker.it.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

/** How the harness picks ports, with and without {@code IT_PORT_RANGE} (no Keycloak needed). */
class PortsIT {

    @Test
    void a_range_gives_distinct_loopback_ports_inside_it_held_until_released() throws IOException {
        Ports.Range range = Ports.Range.parse(" 41000 - 41019 ");
        Set<Integer> ports = new HashSet<>();
        try (Ports.Reservation reservation = Ports.reserve(5, range)) {
            for (int i = 0; i < 5; i++) {
                ports.add(reservation.port(i));
            }
            assertThat(ports).hasSize(5).allSatisfy(port -> assertThat(port).isBetween(41000, 41019));
            // Held: nobody else can bind them meanwhile.
            int held = reservation.port(0);
            assertThatThrownBy(() -> new ServerSocket(held, 0, InetAddress.getLoopbackAddress()).close()).isInstanceOf(IOException.class);
        }
        int released = ports.iterator().next();
        new ServerSocket(released, 0, InetAddress.getLoopbackAddress()).close();
    }

    @Test
    void a_range_too_small_for_the_request_is_an_error_not_a_port_outside_it() {
        assertThatThrownBy(() -> Ports.reserve(3, Ports.Range.parse("41020-41021"))).isInstanceOf(RuntimeException.class);
    }

    @Test
    void a_malformed_range_is_refused_with_the_variable_named() {
        assertThatThrownBy(() -> Ports.Range.parse("20000")).hasMessageContaining("IT_PORT_RANGE");
        assertThatThrownBy(() -> Ports.Range.parse("30000-20000")).hasMessageContaining("IT_PORT_RANGE");
        assertThatThrownBy(() -> Ports.Range.parse("80-90")).hasMessageContaining("IT_PORT_RANGE");
        assertThat(Ports.Range.parse("  ")).isNull();
    }

    @Test
    void without_a_range_the_system_chooses_free_loopback_ports() {
        try (Ports.Reservation reservation = Ports.reserve(2, null)) {
            assertThat(reservation.port(0)).isNotEqualTo(reservation.port(1)).isPositive();
        }
    }
}
