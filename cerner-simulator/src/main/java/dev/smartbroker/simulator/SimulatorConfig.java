package dev.smartbroker.simulator;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * What the simulator serves: host and port, tenants with their settings, clinician logins, registered apps.
 * The defaults ({@code simulator-defaults.json}) hold Cerner's code-sandbox tenant, a non-UUID tenant and the
 * sandbox's {@code portal}/{@code portal} clinician (cerner-smart-facts §6).
 */
public final class SimulatorConfig {

    /** A tenant: its id is an opaque path segment, not always a UUID (cerner-smart-facts §1.1). */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Tenant(String id, String name, TenantSettings settings) {
        public Tenant {
            settings = settings == null ? new TenantSettings() : settings;
        }
    }

    /** A clinician who can sign in at the simulated authorization server. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record User(String username, String password, String practitionerId, String family, String given, String email) {

        String displayName() {
            return family + ", " + given;
        }
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    record Document(String host, Integer port, List<Tenant> tenants, List<User> users, List<AppRegistration> apps) {
    }

    static final ObjectMapper JSON = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private final String host;
    private final int port;
    private final List<Tenant> tenants;
    private final List<User> users;
    private final List<AppRegistration> apps;

    private SimulatorConfig(String host, int port, List<Tenant> tenants, List<User> users, List<AppRegistration> apps) {
        this.host = host;
        this.port = port;
        this.tenants = List.copyOf(tenants);
        this.users = List.copyOf(users);
        this.apps = List.copyOf(apps);
    }

    public static SimulatorConfig defaults() {
        try (InputStream in = SimulatorConfig.class.getResourceAsStream("/simulator-defaults.json")) {
            return from(JSON.readValue(in, Document.class));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads a config file; missing sections fall back to the defaults. */
    public static SimulatorConfig fromJson(Path file) {
        try {
            Document doc = JSON.readValue(Files.readAllBytes(file), Document.class);
            SimulatorConfig d = defaults();
            return new SimulatorConfig(doc.host() != null ? doc.host() : d.host, doc.port() != null ? doc.port() : d.port,
                    doc.tenants() != null ? doc.tenants() : d.tenants, doc.users() != null ? doc.users() : d.users,
                    doc.apps() != null ? doc.apps() : d.apps);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read simulator config " + file, e);
        }
    }

    private static SimulatorConfig from(Document doc) {
        return new SimulatorConfig(doc.host() == null ? "127.0.0.1" : doc.host(), doc.port() == null ? 8088 : doc.port(),
                doc.tenants() == null ? List.of() : doc.tenants(), doc.users() == null ? List.of() : doc.users(),
                doc.apps() == null ? List.of() : doc.apps());
    }

    public SimulatorConfig withPort(int value) {
        return new SimulatorConfig(host, value, tenants, users, apps);
    }

    public SimulatorConfig withHost(String value) {
        return new SimulatorConfig(value, port, tenants, users, apps);
    }

    public SimulatorConfig withApp(AppRegistration app) {
        List<AppRegistration> more = new ArrayList<>(apps);
        more.removeIf(a -> a.clientId().equals(app.clientId()));
        more.add(app);
        return new SimulatorConfig(host, port, tenants, users, more);
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
}
