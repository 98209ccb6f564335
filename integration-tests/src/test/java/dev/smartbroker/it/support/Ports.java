package dev.smartbroker.it.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Free TCP ports on the loopback interface for what the tests start. With {@code IT_PORT_RANGE} set (e.g.
 * {@code 20000-20999}, both ends included) every port comes from that range, so that engineers sharing a machine can
 * give each run a range of its own; unset, the operating system chooses, as before.
 *
 * <p>A port is free when a loopback socket can bind it. Nothing remembers the ports handed out: ports that must
 * stay distinct until their owner binds them are taken together, as a {@link Reservation} that keeps them bound
 * until just before the owner starts.
 */
public final class Ports {

    static final String RANGE_VARIABLE = "IT_PORT_RANGE";

    private Ports() {
    }

    /** An inclusive port range, as {@code IT_PORT_RANGE} names it. */
    record Range(int first, int last) {

        Range {
            if (first < 1024 || last > 65535 || first > last) {
                throw new IllegalArgumentException(RANGE_VARIABLE + " must be FIRST-LAST within 1024-65535: " + first + "-" + last);
            }
        }

        int size() {
            return last - first + 1;
        }

        /** {@code 20000-20999}; null or blank: none. */
        static Range parse(String value) {
            if (value == null || value.isBlank()) {
                return null;
            }
            String[] ends = value.trim().split("-", -1);
            try {
                if (ends.length == 2) {
                    return new Range(Integer.parseInt(ends[0].trim()), Integer.parseInt(ends[1].trim()));
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new IllegalArgumentException(RANGE_VARIABLE + " must look like 20000-20999, not '" + value + "'");
        }
    }

    /** Ports held bound on loopback until {@link #release()}: distinct from each other and from every bound port. */
    public static final class Reservation implements AutoCloseable {

        private final List<ServerSocket> sockets;

        private Reservation(List<ServerSocket> sockets) {
            this.sockets = sockets;
        }

        public int port(int index) {
            return sockets.get(index).getLocalPort();
        }

        /** Frees the ports for their owner; call it right before starting what binds them. */
        public void release() {
            for (ServerSocket socket : sockets) {
                try {
                    socket.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
        }

        @Override
        public void close() {
            release();
        }
    }

    /** One port that is free now, for a caller that binds it (or starts its owner) right away. */
    public static int free() {
        try (Reservation reservation = reserve(1)) {
            return reservation.port(0);
        }
    }

    /** {@code count} distinct ports, held bound until released. */
    public static Reservation reserve(int count) {
        return reserve(count, Range.parse(System.getenv(RANGE_VARIABLE)));
    }

    static Reservation reserve(int count, Range range) {
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            if (range == null) {
                for (int i = 0; i < count; i++) {
                    sockets.add(bind(0));
                }
                return new Reservation(sockets);
            }
            // From a random place in the range, so that ports a caller handed out and its owner has not bound yet
            // (say, a process still starting) are unlikely to be offered again.
            int start = ThreadLocalRandom.current().nextInt(range.size());
            for (int i = 0; i < range.size() && sockets.size() < count; i++) {
                int port = range.first() + (start + i) % range.size();
                try {
                    sockets.add(bind(port));
                } catch (IOException inUse) {
                    // taken: try the next one
                }
            }
            if (sockets.size() < count) {
                throw new IllegalStateException("no " + count + " free loopback ports in " + RANGE_VARIABLE + "=" + range.first() + "-" + range.last());
            }
            return new Reservation(sockets);
        } catch (IOException e) {
            new Reservation(sockets).release();
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            new Reservation(sockets).release();
            throw e;
        }
    }

    private static ServerSocket bind(int port) throws IOException {
        ServerSocket socket = new ServerSocket();
        try {
            // Without SO_REUSEADDR, so that a port some process still has connections on is not offered.
            socket.setReuseAddress(false);
            socket.bind(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
            return socket;
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }
}
