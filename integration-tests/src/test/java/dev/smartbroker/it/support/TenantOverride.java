package dev.smartbroker.it.support;

import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Changes a tenant identity provider, or registers an extra one, through the admin REST API for the length of a
 * test, and restores the realm afterwards. Also the way a test proves that the admin REST API configures tenants.
 */
public final class TenantOverride implements AutoCloseable {

    private final Environment env;
    private final String path;
    /** The representation to put back on close; null for a tenant this override registered, which close removes. */
    private final JsonNode original;

    private TenantOverride(Environment env, String alias, boolean existing) {
        this.env = env;
        this.path = instances(env) + "/" + alias;
        this.original = existing ? env.admin().get(path).json() : null;
    }

    private TenantOverride(Environment env, String alias) {
        this(env, alias, true);
    }

    private static String instances(Environment env) {
        return "/realms/" + env.realm() + "/identity-provider/instances";
    }

    /**
     * Registers a Cerner tenant as an admin would (hidden on the login page, with the realm's first-login flow) and
     * removes it on close.
     */
    public static TenantOverride register(Environment env, String alias, Map<String, String> config) {
        return register(env, "cerner", alias, config);
    }

    /** Registers a tenant of the SMART identity-provider type {@code providerId} ({@code cerner}, {@code smart}). */
    public static TenantOverride register(Environment env, String providerId, String alias, Map<String, String> config) {
        KeycloakAdmin.Response created = env.admin().post(instances(env), Map.of("alias", alias, "providerId", providerId,
                "enabled", true, "hideOnLogin", true, "firstBrokerLoginFlowAlias", "smart first broker login", "config", config));
        if (created.status() != 201) {
            throw new IllegalStateException("could not register " + alias + ": " + created.status() + " " + created.body());
        }
        return new TenantOverride(env, alias, false);
    }

    /** Sets config keys (null removes) and, optionally, enabled. */
    public static TenantOverride config(Environment env, String alias, Map<String, String> config) {
        TenantOverride override = new TenantOverride(env, alias);
        env.admin().update(override.path, rep -> {
            ObjectNode cfg = (ObjectNode) rep.path("config");
            config.forEach((k, v) -> {
                if (v == null) {
                    cfg.remove(k);
                } else {
                    cfg.put(k, v);
                }
            });
        });
        return override;
    }

    public static TenantOverride enabled(Environment env, String alias, boolean enabled) {
        TenantOverride override = new TenantOverride(env, alias);
        env.admin().update(override.path, rep -> rep.put("enabled", enabled));
        return override;
    }

    /** Sets the provider's "account linking only" switch. */
    public static TenantOverride linkOnly(Environment env, String alias, boolean linkOnly) {
        TenantOverride override = new TenantOverride(env, alias);
        env.admin().update(override.path, rep -> rep.put("linkOnly", linkOnly));
        return override;
    }

    @Override
    public void close() {
        KeycloakAdmin.Response response = original == null ? env.admin().delete(path) : env.admin().put(path, original);
        if (response.status() / 100 != 2) {
            throw new IllegalStateException("could not restore " + path + ": " + response.body());
        }
    }
}
