package dev.smartbroker.it.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One Keycloak node of the cluster: its own directory (a copy of the built distribution), its own loopback ports and
 * its own {@code conf/keycloak.conf}, started with the commands of {@code docs/production.md}. It can be killed
 * (SIGKILL to every process of the node, as a crash or an OOM kill would) or stopped gracefully (SIGTERM to Java,
 * as {@code systemctl stop} does), and started again in the same directory.
 */
final class ClusterNode implements AutoCloseable {

    /** Infinispan's view logs: ISPN000094 new view, ISPN000093 merged view; "(n)" is the member count. */
    private static final Pattern VIEW = Pattern.compile("ISPN00009[34]: Received new(?:, MERGED)? cluster view for channel \\S+: \\[[^\\]]*\\] \\((\\d+)\\)");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final String name;
    private final Path home;
    private final Path logs;
    final int httpPort;
    final int managementPort;
    final int clusterPort;
    private Process process;
    private Path log;
    private int starts;

    ClusterNode(String name, Path home, Path logs, int httpPort, int managementPort, int clusterPort) {
        this.name = name;
        this.home = home;
        this.logs = logs;
        this.httpPort = httpPort;
        this.managementPort = managementPort;
        this.clusterPort = clusterPort;
        Runtime.getRuntime().addShutdownHook(new Thread(this::kill, "kill-" + name));
    }

    String name() {
        return name;
    }

    Path home() {
        return home;
    }

    String url() {
        return "http://127.0.0.1:" + httpPort;
    }

    String realmUrl() {
        return url() + "/realms/smart";
    }

    String managementUrl() {
        return "http://127.0.0.1:" + managementPort;
    }

    Path log() {
        return log;
    }

    int starts() {
        return starts;
    }

    /** Starts {@code script} (the doc's start command, as rendered by the test) in the node's directory. */
    void start(String script, Map<String, String> env) {
        if (isAlive()) {
            throw new IllegalStateException(name + " is running");
        }
        starts++;
        log = logs.resolve(name + "-start" + starts + ".log");
        process = Shell.start(script, home, null, env, log);
    }

    boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** Waits for {@code /health/ready} on the management port, failing early when the node exits. */
    void awaitReady(Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            if (!isAlive()) {
                throw new IllegalStateException(name + " exited before it was ready:\n" + Shell.tail(log, 80));
            }
            if (status(managementUrl() + "/health/ready") == 200) {
                return;
            }
            pause(500);
        }
        throw new IllegalStateException(name + " was not ready within " + timeout + ":\n" + Shell.tail(log, 80));
    }

    static int status(String url) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    String logText() {
        try {
            return log == null ? "" : Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** Member counts of the cluster views this start of the node logged, from character {@code from} of its log. */
    List<Integer> views(int from) {
        String text = logText();
        Matcher m = VIEW.matcher(text.substring(Math.min(from, text.length())));
        List<Integer> sizes = new ArrayList<>();
        while (m.find()) {
            sizes.add(Integer.parseInt(m.group(1)));
        }
        return sizes;
    }

    /** Waits until this start's log, from {@code from} on, shows a view of {@code members} members. */
    void awaitView(int members, int from, Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            List<Integer> views = views(from);
            if (!views.isEmpty() && views.get(views.size() - 1) == members) {
                return;
            }
            pause(250);
        }
        throw new AssertionError(name + " logged no " + members + "-member view within " + timeout + "; views: " + views(from)
                + "\n" + Shell.tail(log, 40));
    }

    Optional<ProcessHandle> java() {
        if (process == null) {
            return Optional.empty();
        }
        return process.descendants().filter(p -> p.info().command().map(c -> c.endsWith("/java") || c.equals("java")).orElse(false))
                .findFirst();
    }

    /** SIGKILL to the node's Java process and its launch scripts: no shutdown hook, no graceful leave. */
    void kill() {
        if (process == null) {
            return;
        }
        List<ProcessHandle> tree = new ArrayList<>(process.descendants().toList());
        tree.forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        awaitExit(tree, Duration.ofSeconds(20));
    }

    /** SIGTERM to Java, as a service manager stops Keycloak; killed if it is not gone within 30 s. */
    void stop() {
        if (!isAlive()) {
            return;
        }
        List<ProcessHandle> tree = new ArrayList<>(process.descendants().toList());
        Optional<ProcessHandle> java = java();
        if (java.isPresent()) {
            java.get().destroy();
            try {
                java.get().onExit().get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                // escalates below
            }
        } else {
            process.destroy();
        }
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                kill();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            kill();
        }
        awaitExit(tree, Duration.ofSeconds(10));
    }

    private void awaitExit(List<ProcessHandle> tree, Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        for (ProcessHandle p : tree) {
            while (p.isAlive() && Instant.now().isBefore(deadline)) {
                pause(100);
            }
        }
        try {
            process.waitFor(Math.max(1, Duration.between(Instant.now(), deadline).toMillis()), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A listening TCP socket of the node's Java process. */
    record Listener(String address, int port) {

        boolean loopback() {
            return address.startsWith("127.") || address.equals("::1") || address.startsWith("::ffff:127.");
        }
    }

    /** The TCP sockets the node's Java process listens on, read from /proc. */
    List<Listener> listeners() {
        long pid = java().map(ProcessHandle::pid).orElseThrow(() -> new IllegalStateException(name + " has no Java process"));
        Set<String> inodes = new HashSet<>();
        try (var fds = Files.list(Path.of("/proc", String.valueOf(pid), "fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) {
                        inodes.add(target.substring(8, target.length() - 1));
                    }
                } catch (IOException e) {
                    // fd closed meanwhile
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<Listener> listeners = new ArrayList<>();
        for (String table : List.of("tcp", "tcp6")) {
            try {
                List<String> lines = Files.readAllLines(Path.of("/proc", String.valueOf(pid), "net", table));
                for (String line : lines.subList(1, lines.size())) {
                    String[] f = line.trim().split("\\s+");
                    if (f[3].equals("0A") && inodes.contains(f[9])) {
                        String[] local = f[1].split(":");
                        listeners.add(new Listener(address(local[0]), Integer.parseInt(local[1], 16)));
                    }
                }
            } catch (IOException e) {
                // no IPv6 table
            }
        }
        return listeners;
    }

    /** /proc/net addresses: little-endian 32-bit words. */
    static String address(String hex) {
        byte[] bytes = new byte[hex.length() / 2];
        for (int word = 0; word < bytes.length / 4; word++) {
            for (int b = 0; b < 4; b++) {
                bytes[word * 4 + b] = (byte) Integer.parseInt(hex.substring(word * 8 + (3 - b) * 2, word * 8 + (3 - b) * 2 + 2), 16);
            }
        }
        if (bytes.length == 4) {
            return (bytes[0] & 0xff) + "." + (bytes[1] & 0xff) + "." + (bytes[2] & 0xff) + "." + (bytes[3] & 0xff);
        }
        boolean mapped = true;
        for (int i = 0; i < 10; i++) {
            mapped &= bytes[i] == 0;
        }
        mapped &= (bytes[10] & 0xff) == 0xff && (bytes[11] & 0xff) == 0xff;
        if (mapped) {
            return "::ffff:" + (bytes[12] & 0xff) + "." + (bytes[13] & 0xff) + "." + (bytes[14] & 0xff) + "." + (bytes[15] & 0xff);
        }
        boolean any = true;
        for (byte b : bytes) {
            any &= b == 0;
        }
        if (any) {
            return "::";
        }
        boolean loop = true;
        for (int i = 0; i < 15; i++) {
            loop &= bytes[i] == 0;
        }
        if (loop && bytes[15] == 1) {
            return "::1";
        }
        return HexFormatHolder.hex(bytes);
    }

    private static final class HexFormatHolder {
        static String hex(byte[] bytes) {
            return java.util.HexFormat.of().formatHex(bytes);
        }
    }

    static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        kill();
    }
}
