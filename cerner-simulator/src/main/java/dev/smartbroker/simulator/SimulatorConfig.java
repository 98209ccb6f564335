package dev.smartbroker.simulator;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;

/**
 * What the simulator serves: host and port, tenants with their settings, clinician logins, registered apps.
 * Immutable; the {@code with…} methods return changed copies. {@link #defaults()} is the bundled
 * {@code simulator-defaults.json}: Cerner's code-sandbox tenant, a non-UUID tenant and the sandbox's
 * {@code portal}/{@code portal} clinician plus a second one (docs/ehr/cerner.md §1.1, §6).
 */
public final class SimulatorConfig {

    /** The dialect of Cerner's code sandbox (the default): URLs, shapes and quirks of docs/ehr/cerner.md. */
    public static final String CERNER = "cerner";
    /** The dialect of a plain SMART App Launch 2.x server (docs/ehr/smart-app-launch.md): see the README's table. */
    public static final String GENERIC = "generic";
    /** The id {@link #genericTenant(String)} is usually given; no tenant of {@link #defaults()} has it. */
    public static final String GENERIC_TENANT = "smart-generic";

    /**
     * A tenant: its id is an opaque path segment, not always a UUID (docs/ehr/cerner.md §1.1).
     *
     * @param dialect {@link #CERNER} (default) or {@link #GENERIC}
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Tenant(String id, String name, TenantSettings settings, String dialect) {
        public Tenant {
            if (id == null || id.isEmpty() || id.contains("/") || id.contains("?") || id.contains("#")) {
                throw new IllegalArgumentException("A tenant id must be one non-empty path segment: " + id);
            }
            dialect = dialect == null ? CERNER : dialect;
            if (!dialect.equals(CERNER) && !dialect.equals(GENERIC)) {
                throw new IllegalArgumentException("dialect must be cerner or generic: " + dialect);
            }
            name = name == null ? id : name;
            settings = settings == null ? (dialect.equals(GENERIC) ? genericSettings() : new TenantSettings()) : settings;
        }

        /** A Cerner tenant. */
        public Tenant(String id, String name, TenantSettings settings) {
            this(id, name, settings, CERNER);
        }

        boolean isGeneric() {
            return GENERIC.equals(dialect);
        }
    }

    /**
     * A tenant of the generic SMART App Launch 2.x dialect, with the settings such a server starts with: PKCE
     * required ({@code requirePkce}) and {@code nonce} echoed in the id_token ({@code echoNonce}), everything else as
     * for a Cerner tenant. Add it with {@link #withTenant(Tenant)}.
     */
    public static Tenant genericTenant(String id) {
        return new Tenant(id, "Generic SMART server (simulated)", genericSettings(), GENERIC);
    }

    /** The settings a generic tenant starts with when none are given (see {@link #genericTenant(String)}). */
    static TenantSettings genericSettings() {
        TenantSettings s = new TenantSettings();
        s.requirePkce = true;
        s.echoNonce = true;
        return s;
    }

    /** A clinician who can sign in at the simulated authorization server, and the Practitioner they are. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record User(String username, String password, String practitionerId, String family, String given, String email) {
        public User {
            if (username == null || username.isEmpty() || password == null || practitionerId == null) {
                throw new IllegalArgumentException("A user needs username, password and practitionerId");
            }
        }

        /** "Family, Given", as Cerner's id_token {@code name} reads (§2.7). */
        String displayName() {
            return family + ", " + given;
        }
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    record Document(String host, Integer port, List<Tenant> tenants, List<User> users, List<AppRegistration> apps,
                    Long idleConnectionTimeoutMillis) {
    }

    /** Shared, configured once, thread-safe: Instants are written as ISO-8601 strings. */
    static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .registerModule(new SimpleModule("simulator").addSerializer(Instant.class, ToStringSerializer.instance));

    private final String host;
    private final int port;
    private final List<Tenant> tenants;
    private final List<User> users;
    private final List<AppRegistration> apps;
    private final Clock clock;
    private final long idleConnectionTimeoutMillis;

    private SimulatorConfig(String host, int port, List<Tenant> tenants, List<User> users, List<AppRegistration> apps,
                            long idleConnectionTimeoutMillis) {
        this(host, port, tenants, users, apps, Clock.systemUTC(), idleConnectionTimeoutMillis);
    }

    private SimulatorConfig(String host, int port, List<Tenant> tenants, List<User> users, List<AppRegistration> apps, Clock clock,
                            long idleConnectionTimeoutMillis) {
        if (idleConnectionTimeoutMillis < 0) {
            throw new IllegalArgumentException("idleConnectionTimeoutMillis must be 0 (off) or more: " + idleConnectionTimeoutMillis);
        }
        if (tenants.isEmpty()) {
            throw new IllegalArgumentException("At least one tenant is needed");
        }
        unique(tenants.stream().map(Tenant::id).toList(), "tenant id");
        unique(users.stream().map(User::username).toList(), "username");
        unique(apps.stream().map(AppRegistration::clientId).toList(), "clientId");
        this.host = host;
        this.port = port;
        this.tenants = List.copyOf(tenants);
        this.users = List.copyOf(users);
        this.apps = List.copyOf(apps);
        this.clock = clock == null ? Clock.systemUTC() : clock;
        this.idleConnectionTimeoutMillis = idleConnectionTimeoutMillis;
    }

    private static void unique(List<String> values, String what) {
        Set<String> seen = new HashSet<>();
        for (String v : values) {
            if (!seen.add(v)) {
                throw new IllegalArgumentException("Duplicate " + what + " " + v);
            }
        }
    }

    /** The bundled defaults, {@code simulator-defaults.json}. */
    public static SimulatorConfig defaults() {
        try (InputStream in = SimulatorConfig.class.getResourceAsStream("/simulator-defaults.json")) {
            Document doc = JSON.readValue(in, Document.class);
            return new SimulatorConfig(doc.host() == null ? "127.0.0.1" : doc.host(), doc.port() == null ? 8088 : doc.port(),
                    orEmpty(doc.tenants()), orEmpty(doc.users()), orEmpty(doc.apps()),
                    doc.idleConnectionTimeoutMillis() == null ? 0 : doc.idleConnectionTimeoutMillis());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads a config file; a missing section (key absent or null) falls back to the defaults' section. */
    public static SimulatorConfig fromJson(Path file) {
        try {
            Document doc = JSON.readValue(Files.readAllBytes(file), Document.class);
            SimulatorConfig d = defaults();
            return new SimulatorConfig(doc.host() != null ? doc.host() : d.host, doc.port() != null ? doc.port() : d.port,
                    doc.tenants() != null ? doc.tenants() : d.tenants, doc.users() != null ? doc.users() : d.users,
                    doc.apps() != null ? doc.apps() : d.apps,
                    doc.idleConnectionTimeoutMillis() != null ? doc.idleConnectionTimeoutMillis() : d.idleConnectionTimeoutMillis);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read simulator config " + file, e);
        }
    }

    private static <T> List<T> orEmpty(List<T> list) {
        return list == null ? List.of() : list;
    }

    public SimulatorConfig withPort(int value) {
        return new SimulatorConfig(host, value, tenants, users, apps, clock, idleConnectionTimeoutMillis);
    }

    public SimulatorConfig withHost(String value) {
        return new SimulatorConfig(value, port, tenants, users, apps, clock, idleConnectionTimeoutMillis);
    }

    public SimulatorConfig withTenants(List<Tenant> value) {
        return new SimulatorConfig(host, port, value, users, apps, clock, idleConnectionTimeoutMillis);
    }

    public SimulatorConfig withUsers(List<User> value) {
        return new SimulatorConfig(host, port, tenants, value, apps, clock, idleConnectionTimeoutMillis);
    }

    public SimulatorConfig withApps(List<AppRegistration> value) {
        return new SimulatorConfig(host, port, tenants, users, value, clock, idleConnectionTimeoutMillis);
    }

    /** Adds a tenant at the end, or replaces the one with the same id where it stands. */
    public SimulatorConfig withTenant(Tenant tenant) {
        List<Tenant> more = new ArrayList<>(tenants);
        int at = -1;
        for (int i = 0; i < more.size(); i++) {
            if (more.get(i).id().equals(tenant.id())) {
                at = i;
            }
        }
        if (at < 0) {
            more.add(tenant);
        } else {
            more.set(at, tenant);
        }
        return new SimulatorConfig(host, port, more, users, apps, clock, idleConnectionTimeoutMillis);
    }

    /** Adds an app, replacing one with the same client id. */
    public SimulatorConfig withApp(AppRegistration app) {
        List<AppRegistration> more = new ArrayList<>(apps);
        more.removeIf(a -> a.clientId().equals(app.clientId()));
        more.add(app);
        return new SimulatorConfig(host, port, tenants, users, more, clock, idleConnectionTimeoutMillis);
    }

    /**
     * The base of the simulator's clock (default: system UTC). The running simulator adds its own offset to it
     * ({@link CernerSimulator#clock()}); a fixed clock makes every timestamp the simulator produces predictable.
     */
    public SimulatorConfig withClock(Clock value) {
        return new SimulatorConfig(host, port, tenants, users, apps, value, idleConnectionTimeoutMillis);
    }

    /**
     * Makes the simulator close client connections idle for longer than this many milliseconds, silently (FIN, no
     * {@code Connection: close}), as a server or load balancer with a short keep-alive timeout does; 0 (the default)
     * leaves idle connections to the JDK server. A connection waiting for an answer is never cut. Real time, not the
     * simulator's clock.
     */
    public SimulatorConfig withIdleConnectionTimeoutMillis(long value) {
        return new SimulatorConfig(host, port, tenants, users, apps, clock, value);
    }

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    public List<Tenant> tenants() {
        return tenants;
    }

    public List<User> users() {
        return users;
    }

    public List<AppRegistration> apps() {
        return apps;
    }

    public Clock clock() {
        return clock;
    }

    /** 0: off; otherwise see {@link #withIdleConnectionTimeoutMillis(long)}. */
    public long idleConnectionTimeoutMillis() {
        return idleConnectionTimeoutMillis;
    }
}
