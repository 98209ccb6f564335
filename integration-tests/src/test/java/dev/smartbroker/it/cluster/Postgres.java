package dev.smartbroker.it.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import dev.smartbroker.it.support.Ports;

/**
 * A PostgreSQL instance of the test's own: Debian's server binaries, a fresh {@code initdb} data directory under
 * {@code target/}, listening on a free loopback port, set up with the commands of {@code docs/production.md}. As root
 * (CI), the server runs as the {@code postgres} OS user, since PostgreSQL refuses to run as root.
 */
public final class Postgres implements AutoCloseable {

    static final String OS_USER = "postgres";
    /** The database and user docs/production.md creates for Keycloak. */
    private static final String KEYCLOAK_DATABASE = "keycloak";

    private final Path bin;
    private final Path data;
    private final Path socketDir;
    private final Path log;
    private final String user;
    private final int port;
    private final String superuserPassword;
    /** The directory {@link #startOwn} made, removed at close; null when the caller owns it. */
    private Path ownDir;
    private String keycloakPassword;

    private Postgres(Path bin, Path data, Path socketDir, Path log, String user, int port, String superuserPassword) {
        this.bin = bin;
        this.data = data;
        this.socketDir = socketDir;
        this.log = log;
        this.user = user;
        this.port = port;
        this.superuserPassword = superuserPassword;
    }

    /** Debian puts the server programs outside PATH, under /usr/lib/postgresql/{major}/bin. */
    static Path binaries() {
        String configured = System.getProperty("pg.bin.dir");
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        Path debian = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(debian)) {
            try (Stream<Path> versions = Files.list(debian)) {
                Optional<Path> newest = versions.filter(v -> Files.isExecutable(v.resolve("bin/pg_ctl")))
                        .max(Comparator.comparingInt(v -> parseMajor(v.getFileName().toString())));
                if (newest.isPresent()) {
                    return newest.get().resolve("bin");
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "pg_ctl"))) {
                return Path.of(dir).toAbsolutePath();
            }
        }
        throw new IllegalStateException("No PostgreSQL server found (pg_ctl): install Debian's 'postgresql' package "
                + "(.ci/run does), or set -Dpg.bin.dir");
    }

    private static int parseMajor(String name) {
        try {
            return Integer.parseInt(name);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    static Postgres start(ProductionDoc doc, Path dir, String dbPassword, String nodesCidr) throws IOException {
        Path bin = binaries();
        boolean root = "root".equals(System.getProperty("user.name"));
        String user = root ? OS_USER : null;
        ClusterFiles.deleteTree(dir);
        Path data = dir.resolve("data");
        Path logDir = dir.resolve("log");
        // Unix sockets are limited to ~107 characters of path: keep the socket out of the (deep) build directory.
        Path socketDir = Files.createTempDirectory(Path.of("/tmp"), "smartbroker-pg-");
        Path passwordFile = dir.resolve("superuser-password");
        Files.createDirectories(data);
        Files.createDirectories(logDir);
        String superuserPassword = ClusterFiles.randomSecret();
        Files.writeString(passwordFile, superuserPassword + "\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(passwordFile, PosixFilePermissions.fromString("rw-------"));
        Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwx------"));
        if (root) {
            for (Path owned : List.of(data, logDir, socketDir, passwordFile)) {
                chown(owned, OS_USER);
            }
        }
        int port = Ports.free();
        Postgres postgres = new Postgres(bin, data, socketDir, logDir.resolve("postgres.log"), user, port, superuserPassword);
        Path shellLog = dir.resolve("setup.log");
        Map<String, String> asServer = Map.of("PATH", bin + ":/usr/bin:/bin");
        Map<String, String> values = new HashMap<>();
        values.put("PG_DATA", data.toString());
        values.put("PG_SUPERUSER_PASSWORD_FILE", passwordFile.toString());
        values.put("NODES_CIDR", nodesCidr);
        values.put("PG_LOG", postgres.log.toString());
        values.put("DB_HOST", "127.0.0.1");
        values.put("DB_PORT", String.valueOf(port));
        values.put("PG_SOCKET_DIR", socketDir.toString());
        values.put("MAX_CONNECTIONS", "100");
        values.put("DB_PASSWORD", dbPassword);
        try {
            Shell.runOk(doc.command("postgres-init", values), dir, user, asServer, shellLog, Duration.ofMinutes(2));
            Files.delete(passwordFile);
            Shell.runOk(doc.command("postgres-start", values), dir, user, asServer, shellLog, Duration.ofMinutes(2));
            Shell.runOk(doc.command("postgres-database", values), dir, null, postgres.superuserEnv(), shellLog, Duration.ofMinutes(1));
            return postgres;
        } catch (RuntimeException e) {
            postgres.close();
            throw e;
        }
    }

    /**
     * A server of a benchmark's own, set up as docs/production.md sets one up, in a fresh directory under {@code /tmp}
     * (as root, the {@code postgres} OS user must reach it, which it cannot in every build directory); {@link #close}
     * removes it.
     */
    public static Postgres startOwn() throws IOException {
        String dbPassword = ClusterFiles.randomSecret();
        ProductionDoc doc = ProductionDoc.load(Path.of(System.getProperty("production.doc", "../docs/production.md")));
        Path dir = Path.of("/tmp", "smartbroker-pg-" + ClusterFiles.randomSecret().substring(0, 12).toLowerCase(java.util.Locale.ROOT));
        try {
            Postgres postgres = start(doc, dir, dbPassword, "127.0.0.1/32");
            postgres.ownDir = dir;
            postgres.keycloakPassword = dbPassword;
            return postgres;
        } catch (IOException | RuntimeException e) {
            ClusterFiles.deleteTree(dir);
            throw e;
        }
    }

    /** Keycloak's {@code db-url} for the database docs/production.md creates. */
    public String keycloakJdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + KEYCLOAK_DATABASE;
    }

    public String keycloakUsername() {
        return KEYCLOAK_DATABASE;
    }

    /** The Keycloak user's password, for a server {@link #startOwn} started. */
    public String keycloakPassword() {
        return keycloakPassword;
    }

    private static void chown(Path path, String owner) throws IOException {
        UserPrincipalLookupService users = path.getFileSystem().getUserPrincipalLookupService();
        Files.setOwner(path, users.lookupPrincipalByName(owner));
    }

    private Map<String, String> superuserEnv() {
        Map<String, String> env = new HashMap<>();
        env.put("PATH", bin + ":" + System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        env.put("PGPASSWORD", superuserPassword);
        env.put("PGCONNECT_TIMEOUT", "10");
        return env;
    }

    int port() {
        return port;
    }

    Path log() {
        return log;
    }

    /** Runs SQL as the superuser in database {@code db}; returns psql's unaligned, tuples-only output. */
    String query(String db, String sql) {
        try {
            Path out = Files.createTempFile("psql", ".out");
            try {
                String script = "psql \"host=127.0.0.1 port=" + port + " dbname=" + db + " user=postgres\" --no-psqlrc "
                        + "--set=ON_ERROR_STOP=1 --tuples-only --no-align --command=\"$SQL\"";
                Map<String, String> env = superuserEnv();
                env.put("SQL", sql);
                Shell.runOk(script, Path.of("."), null, env, out, Duration.ofSeconds(30));
                return Files.readString(out, StandardCharsets.UTF_8).trim();
            } finally {
                Files.deleteIfExists(out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stops the server (fast shutdown), bounded; kills the postmaster by its pid if that fails. */
    @Override
    public void close() {
        try {
            if (Files.exists(data.resolve("postmaster.pid"))) {
                Path stopLog = log.resolveSibling("stop.log");
                int exit = Shell.run(bin.resolve("pg_ctl") + " stop --pgdata=" + data + " --mode=fast --wait --timeout=30",
                        data.getParent(), user, Map.of("PATH", bin + ":/usr/bin:/bin"), stopLog, Duration.ofSeconds(45));
                if (exit != 0 && Files.exists(data.resolve("postmaster.pid"))) {
                    long pid = Long.parseLong(Files.readAllLines(data.resolve("postmaster.pid")).get(0).trim());
                    ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
                }
            }
        } catch (IOException | RuntimeException e) {
            System.err.println("Stopping PostgreSQL: " + e);
        } finally {
            ClusterFiles.deleteTree(socketDir);
            if (ownDir != null) {
                ClusterFiles.deleteTree(ownDir);
            }
        }
    }
}
