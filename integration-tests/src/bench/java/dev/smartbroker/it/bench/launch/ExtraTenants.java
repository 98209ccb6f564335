package dev.smartbroker.it.bench.launch;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import dev.smartbroker.it.support.Environment;
import dev.smartbroker.it.support.KeycloakAdmin;

/**
 * Extra Cerner tenants registered through the admin REST API, so that tenant resolution (the Launch URI's {@code iss}
 * lookup) has many identity providers to look through. Each has a FHIR base of its own on the simulator,
 * {@code {simulator}/r4/bench-tenant-NNN}, which the simulator does not serve: nothing ever calls them, they are only
 * there to be scanned. A small pool registers them and removes them again on close; both are bounded in time.
 */
final class ExtraTenants implements AutoCloseable {

    static final String PREFIX = "bench-tenant-";
    private static final Duration BUDGET = Duration.ofMinutes(5);

    private final Environment env;
    private final int threads;
    private final Set<String> registered = ConcurrentHashMap.newKeySet();
    private Duration registration = Duration.ZERO;

    private ExtraTenants(Environment env, int threads) {
        this.env = env;
        this.threads = threads;
    }

    static ExtraTenants register(Environment env, int count, int threads) {
        ExtraTenants tenants = new ExtraTenants(env, threads);
        try {
            long start = System.nanoTime();
            List<Callable<Void>> tasks = new ArrayList<>();
            for (int i = 1; i <= count; i++) {
                String alias = String.format(Locale.ROOT, "%s%03d", PREFIX, i);
                tasks.add(() -> {
                    tenants.create(alias);
                    return null;
                });
            }
            tenants.runAll(tasks, "register");
            tenants.registration = Duration.ofNanos(System.nanoTime() - start);
            int present = tenants.countPresent();
            if (present < count) {
                throw new IllegalStateException("registered " + count + " extra tenants, the admin API lists " + present);
            }
            return tenants;
        } catch (RuntimeException e) {
            tenants.close();
            throw e;
        }
    }

    Duration registrationTime() {
        return registration;
    }

    int size() {
        return registered.size();
    }

    private String instances() {
        return "/realms/" + env.realm() + "/identity-provider/instances";
    }

    private void create(String alias) {
        Map<String, String> config = Map.of(
                "fhirBaseUrl", env.simulator().baseUrl() + "/r4/" + alias,
                "environment", "sandbox",
                "clientId", alias + "-client",
                "clientSecret", "bench-tenant-secret",
                "clientAuthentication", "client_secret_basic",
                "smartScopes", "openid fhirUser user/Patient.read",
                "smartVersion", "v1",
                "accessType", "online");
        KeycloakAdmin.Response created = env.admin().post(instances(), Map.of("alias", alias, "providerId", "cerner", "enabled", true,
                "hideOnLogin", true, "firstBrokerLoginFlowAlias", "smart first broker login", "config", config));
        if (created.status() != 201) {
            throw new IllegalStateException("could not register " + alias + ": HTTP " + created.status() + " " + created.body());
        }
        registered.add(alias);
    }

    /** Extra tenants the admin API lists now. */
    int countPresent() {
        int count = 0;
        for (JsonNode idp : env.admin().get(instances() + "?briefRepresentation=true&first=0&max=" + (BenchSettings.MAX_TENANTS + 100)).json()) {
            if (idp.path("alias").asText().startsWith(PREFIX)) {
                count++;
            }
        }
        return count;
    }

    private void runAll(List<Callable<Void>> tasks, String what) {
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "bench-tenants-" + what);
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<Void>> results = pool.invokeAll(tasks, BUDGET.toSeconds(), TimeUnit.SECONDS);
            RuntimeException failure = null;
            int failed = 0;
            for (Future<Void> result : results) {
                try {
                    result.get();
                } catch (ExecutionException | java.util.concurrent.CancellationException e) {
                    failed++;
                    if (failure == null) {
                        failure = new IllegalStateException("could not " + what + " every extra tenant within " + BUDGET,
                                e instanceof ExecutionException ee ? ee.getCause() : e);
                    }
                }
            }
            if (failure != null) {
                failure.addSuppressed(new IllegalStateException(failed + " of " + tasks.size() + " failed"));
                throw failure;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while asked to " + what + " extra tenants", e);
        } finally {
            pool.shutdownNow();
        }
    }

    @Override
    public void close() {
        List<Callable<Void>> tasks = new ArrayList<>();
        for (String alias : List.copyOf(registered)) {
            tasks.add(() -> {
                KeycloakAdmin.Response response = env.admin().delete(instances() + "/" + alias);
                if (response.status() / 100 != 2 && response.status() != 404) {
                    throw new IllegalStateException("could not remove " + alias + ": HTTP " + response.status());
                }
                registered.remove(alias);
                return null;
            });
        }
        if (!tasks.isEmpty()) {
            runAll(tasks, "remove");
        }
    }
}
