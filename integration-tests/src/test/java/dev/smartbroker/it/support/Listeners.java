package dev.smartbroker.it.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The listening TCP sockets of processes, read from Linux's {@code /proc}: {@code /proc/net/tcp} and {@code tcp6} list
 * every socket of the network namespace with its inode, and {@code /proc/<pid>/fd} links name the inodes a process
 * holds. What {@code ss -ltnp} prints, without depending on iproute2.
 */
public final class Listeners {

    private static final String LISTEN = "0A";

    private Listeners() {
    }

    /** A listening socket: the address and port it is bound to, and the process holding it. */
    public record Listener(long pid, String command, InetAddress address, int port) {

        /** 127.0.0.0/8, ::1 or an IPv4-mapped loopback address; the wildcard address is not. */
        public boolean loopback() {
            return address.isLoopbackAddress();
        }

        @Override
        public String toString() {
            return address.getHostAddress() + ":" + port + " (pid " + pid + ", " + command + ")";
        }
    }

    /** A listening socket as {@code /proc/net/tcp*} lists it. */
    record Socket(InetAddress address, int port) {
    }

    /** The listening sockets of {@code processes} (a process that ended meanwhile has none). */
    public static List<Listener> of(Collection<ProcessHandle> processes) {
        Map<Long, Socket> sockets = new HashMap<>();
        sockets.putAll(parse(read(Path.of("/proc/net/tcp"))));
        sockets.putAll(parse(read(Path.of("/proc/net/tcp6"))));
        List<Listener> listeners = new ArrayList<>();
        for (ProcessHandle process : processes) {
            String command = process.info().command().orElse("?");
            for (long inode : socketInodes(process.pid())) {
                Socket socket = sockets.get(inode);
                if (socket != null) {
                    listeners.add(new Listener(process.pid(), command, socket.address(), socket.port()));
                }
            }
        }
        return listeners;
    }

    /** The listening sockets of one {@code /proc/net/tcp*} table's text, held by no process in particular (pid 0). */
    public static List<Listener> inTable(String table) {
        return parse(table).values().stream().map(s -> new Listener(0, "-", s.address(), s.port())).toList();
    }

    /**
     * The listening sockets of a {@code /proc/net/tcp} or {@code tcp6} table, by inode. Addresses are hex in the
     * kernel's byte order, by 32-bit word: {@code 0100007F:1F90} is 127.0.0.1:8080 on a little-endian machine.
     */
    static Map<Long, Socket> parse(String table) {
        Map<Long, Socket> sockets = new HashMap<>();
        for (String line : table.split("\n")) {
            String[] fields = line.trim().split("\\s+");
            if (fields.length < 10 || !fields[0].endsWith(":") || !LISTEN.equals(fields[3])) {
                continue;
            }
            String[] local = fields[1].split(":");
            sockets.put(Long.parseLong(fields[9]), new Socket(address(local[0]), Integer.parseInt(local[1], 16)));
        }
        return sockets;
    }

    private static InetAddress address(String hex) {
        byte[] raw = HexFormat.of().parseHex(hex);
        ByteBuffer in = ByteBuffer.wrap(raw).order(ByteOrder.nativeOrder());
        ByteBuffer out = ByteBuffer.allocate(raw.length).order(ByteOrder.BIG_ENDIAN);
        while (in.hasRemaining()) {
            out.putInt(in.getInt());
        }
        try {
            return InetAddress.getByAddress(out.array());
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an address: " + hex, e);
        }
    }

    private static List<Long> socketInodes(long pid) {
        List<Long> inodes = new ArrayList<>();
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc", String.valueOf(pid), "fd"))) {
            for (Path fd : fds) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) {
                        inodes.add(Long.parseLong(target.substring("socket:[".length(), target.length() - 1)));
                    }
                } catch (IOException closedMeanwhile) {
                    // the descriptor went away while we looked
                }
            }
        } catch (IOException endedMeanwhile) {
            // the process ended while we looked
        }
        return inodes;
    }

    private static String read(Path table) {
        try {
            return Files.exists(table) ? Files.readString(table) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
