package dev.smartbroker.it.cluster;

import java.io.IOException;
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
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.smartbroker.it.support.Listeners;

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

    /** The TCP sockets the node's Java process listens on, read from /proc. */
    List<Listeners.Listener> listeners() {
        ProcessHandle java = java().orElseThrow(() -> new IllegalStateException(name + " has no Java process"));
        return Listeners.of(List.of(java));
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
