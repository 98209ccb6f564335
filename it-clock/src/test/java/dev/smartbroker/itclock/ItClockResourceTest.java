package dev.smartbroker.itclock;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ItClockResourceTest {

    @Test
    void loopback_literals_only() {
        assertThat(ItClockResource.isLoopback("127.0.0.1")).isTrue();
        assertThat(ItClockResource.isLoopback("127.8.9.10")).isTrue();
        assertThat(ItClockResource.isLoopback("::1")).isTrue();
        assertThat(ItClockResource.isLoopback("[::1]")).isTrue();
        assertThat(ItClockResource.isLoopback("0:0:0:0:0:0:0:1")).isTrue();

        assertThat(ItClockResource.isLoopback("10.0.0.1")).isFalse();
        assertThat(ItClockResource.isLoopback("192.168.1.127")).isFalse();
        assertThat(ItClockResource.isLoopback("::2")).isFalse();
        assertThat(ItClockResource.isLoopback("localhost")).as("names are not resolved").isFalse();
        assertThat(ItClockResource.isLoopback("127.0.0.1.example")).isFalse();
        assertThat(ItClockResource.isLoopback("")).isFalse();
        assertThat(ItClockResource.isLoopback(null)).isFalse();
    }
}
