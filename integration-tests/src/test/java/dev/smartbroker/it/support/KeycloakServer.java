package dev.smartbroker.it.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The real Keycloak distribution, as users deploy it: our jars in {@code providers/}, {@code kc.sh build}, then
 * {@code kc.sh start --optimized} with the realm export imported, on loopback ports. The build is skipped when
 * neither the jars nor the build options changed since the last run (it costs ~25 s).
 */
public final class KeycloakServer implements AutoCloseable {

    static final String REALM = "smart";
    /** Metrics on, as docs/production.md builds a node: MetricsIT scrapes the broker's meters at /metrics. */
    private static final List<String> BUILD_OPTIONS = List.of("--health-enabled=true", "--metrics-enabled=true");

    /**
     * The database Keycloak runs on: H2 in a file of its data directory (the tests, and by default the benchmarks), or
     * a PostgreSQL server as in production ({@code -Dit.keycloak.database=postgres}, see {@link Environment#DATABASE_PROPERTY}).
     *
     * @param kind Keycloak's {@code db} build option
     */
    public record Database(String kind, String url, String username, String password) {

        private static final String H2 = "dev-file";

        /** H2 in AUTO_SERVER mode on {@code port}: see {@link KeycloakServer#jdbcUrl(Path, int)}. */
        static Database h2(Path data, int port) {
            return new Database(H2, jdbcUrl(data, port), "sa", "password");
        }

        public static Database postgres(String url, String username, String password) {
            return new Database("postgres", url, username, password);
        }

        boolean h2() {
            return H2.equals(kind);
        }

        /** {@code kc.sh build}'s options for a database of this kind; null stands for H2. */
        static List<String> buildOptions(Database database) {
            List<String> options = new ArrayList<>(List.of("--db=" + (database != null ? database.kind() : H2)));
            options.addAll(BUILD_OPTIONS);
            return options;
        }
    }

    /**
     * Binds the TCP server that H2's {@code AUTO_SERVER} mode opens (so that the tests can read the database while
     * Keycloak runs, {@link KeycloakDatabase}) to loopback, and makes H2 publish that address in its lock file for the
     * tests to connect to (h2 2.4's {@code NetUtils}: without it, the wildcard address and the host's own address).
     */
    static final String H2_LOOPBACK = "-Dh2.bindAddress=127.0.0.1";

    private final ManagedProcess process;
    private final String url;
    private final Path home;
    private final int managementPort;
    private final String jdbcUrl;

    private KeycloakServer(ManagedProcess process, String url, Path home, int managementPort, String jdbcUrl) {
        this.process = process;
        this.url = url;
        this.home = home;
        this.managementPort = managementPort;
        this.jdbcUrl = jdbcUrl;
    }

    /**
     * The database in H2's AUTO_SERVER mode, so that the tests may open it while Keycloak runs, on a TCP port of
     * {@link Ports} (bound to loopback through {@link #H2_LOOPBACK}); a client finds the port in H2's lock file.
     */
    private static String jdbcUrl(Path data, int port) {
        return "jdbc:h2:file:" + data.resolve("h2/keycloakdb") + ";NON_KEYWORDS=VALUE;AUTO_SERVER=TRUE;AUTO_SERVER_PORT=" + port;
    }

    public static KeycloakServer start(Path home, Path providers, String realmJson, Map<String, String> env,
                                       List<String> runtimeOptions, Path log) throws IOException {
        return start(home, providers, realmJson, env, runtimeOptions, log, null);
    }

    /** @param database where Keycloak keeps its data; null for H2 in its data directory */
    public static KeycloakServer start(Path home, Path providers, String realmJson, Map<String, String> env,
                                       List<String> runtimeOptions, Path log, Database database) throws IOException {
        Files.createDirectories(log.getParent());
        deployProviders(home, providers);
        buildIfNeeded(home, log.resolveSibling("keycloak-build.log"), Database.buildOptions(database));

        Path data = home.resolve("data");
        deleteTree(data);
        Files.createDirectories(data.resolve("import"));
        Files.writeString(data.resolve("import").resolve(REALM + "-realm.json"), realmJson, StandardCharsets.UTF_8);

        // Held until Keycloak starts, so that no other port handed out meanwhile is one of them.
        Ports.Reservation ports = Ports.reserve(3);
        int httpPort = ports.port(0);
        int managementPort = ports.port(1);
        Database db = database != null ? database : Database.h2(data, ports.port(2));
        List<String> command = new ArrayList<>(List.of(home.resolve("bin/kc.sh").toString(), "start", "--optimized",
                "--http-enabled=true", "--http-host=127.0.0.1", "--http-port=" + httpPort,
                "--http-management-port=" + managementPort, "--hostname-strict=false", "--cache=local", "--import-realm",
                "--db-url=" + db.url(), "--db-username=" + db.username(), "--db-password=" + db.password(),
                // Our DEBUG lines let the tests see what happened; a benchmark sets the production level instead.
                "--log-level=" + System.getProperty("it.keycloak.logLevel", "INFO,dev.smartbroker:debug")));
        command.addAll(runtimeOptions);
        Map<String, String> environment = new java.util.HashMap<>(env);
        environment.put("KC_BOOTSTRAP_ADMIN_USERNAME", "admin");
        environment.put("KC_BOOTSTRAP_ADMIN_PASSWORD", "admin");
        // E.g. a JFR recording of a benchmark run: -Dit.keycloak.javaOptsAppend=-XX:StartFlightRecording=...
        String javaOptsAppend = System.getProperty("it.keycloak.javaOptsAppend", "");
        if (!javaOptsAppend.isBlank()) {
            environment.merge("JAVA_OPTS_APPEND", javaOptsAppend, (given, ours) -> given + " " + ours);
        }
        if (db.h2()) {
            // H2's AUTO_SERVER listens on every interface and publishes the host's address unless h2.bindAddress is set.
            environment.merge("JAVA_OPTS_APPEND", H2_LOOPBACK, (given, ours) -> given + " " + ours);
        }
        ports.release();
        ManagedProcess process = ManagedProcess.start("keycloak", command, home, environment, log);
        KeycloakServer server = new KeycloakServer(process, "http://127.0.0.1:" + httpPort, home, managementPort, db.url());
        process.awaitHttp200("http://127.0.0.1:" + managementPort + "/health/ready", Duration.ofMinutes(3));
        return server;
    }

    private static void deployProviders(Path home, Path providers) throws IOException {
        Path target = home.resolve("providers");
        Files.createDirectories(target);
        try (Stream<Path> jars = Files.list(providers)) {
            for (Path jar : jars.filter(p -> p.toString().endsWith(".jar")).toList()) {
                Path deployed = target.resolve(jar.getFileName());
                // Copy only changed jars: Keycloak compares jar timestamps with its last build.
                if (!Files.exists(deployed) || Files.mismatch(jar, deployed) != -1) {
                    Files.copy(jar, deployed, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    private static void buildIfNeeded(Path home, Path log, List<String> buildOptions) throws IOException {
        String fingerprint = fingerprint(home.resolve("providers"), buildOptions);
        Path marker = home.resolve(".smart-broker-build");
        if (Files.exists(marker) && Files.readString(marker).equals(fingerprint)) {
            return;
        }
        List<String> command = new ArrayList<>(List.of(home.resolve("bin/kc.sh").toString(), "build"));
        command.addAll(buildOptions);
        ProcessBuilder builder = new ProcessBuilder(command).directory(home.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        try {
            Process build = builder.start();
            if (build.waitFor() != 0) {
                throw new IllegalStateException("kc.sh build failed:\n" + Files.readString(log));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        // Replaced, not rewritten: the file may be a hard link shared with a twin (see twinOfBuilt).
        Files.deleteIfExists(marker);
        Files.writeString(marker, fingerprint);
    }

    private static String fingerprint(Path providers, List<String> buildOptions) throws IOException {
        try (Stream<Path> jars = Files.list(providers)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(String.join(" ", buildOptions).getBytes(StandardCharsets.UTF_8));
            for (Path jar : jars.sorted().toList()) {
                digest.update(jar.getFileName().toString().getBytes(StandardCharsets.UTF_8));
                try (InputStream in = Files.newInputStream(jar)) {
                    digest.update(in.readAllBytes());
                }
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A twin of a distribution that {@link #start} already built, for a server of its own beside the shared one: it
     * starts without another {@code kc.sh build}. Files are hard links (the distribution is ~200 MB), except
     * {@code conf/}, which is copied so that the twin's {@code keycloak.conf} can differ, and {@code data/}, left out.
     */
    public static Path twinOfBuilt(Path home, Path target) throws IOException {
        deleteTree(target);
        try (Stream<Path> walk = Files.walk(home)) {
            for (Path source : walk.toList()) {
                Path relative = home.relativize(source);
                if (relative.startsWith("data")) {
                    continue;
                }
                Path twin = target.resolve(relative.toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(twin);
                } else if (relative.startsWith("conf")) {
                    Files.copy(source, twin, StandardCopyOption.COPY_ATTRIBUTES);
                } else {
                    try {
                        Files.createLink(twin, source);
                    } catch (IOException | UnsupportedOperationException e) {
                        Files.copy(source, twin, StandardCopyOption.COPY_ATTRIBUTES);
                    }
                }
            }
        }
        return target;
    }

    public String url() {
        return url;
    }

    public String realmUrl() {
        return url + "/realms/" + REALM;
    }

    public String realm() {
        return REALM;
    }

    public Path home() {
        return home;
    }

    /** JDBC URL of the server's database: H2 in AUTO_SERVER mode unless started on another, so tests may connect while it runs. */
    public String jdbcUrl() {
        return jdbcUrl;
    }

    public ManagedProcess process() {
        return process;
    }

    /** The management interface (health, {@code /metrics}): loopback, a port of its own. */
    public String metricsUrl() {
        return "http://127.0.0.1:" + managementPort;
    }

    @Override
    public void close() {
        process.stop();
    }
}
