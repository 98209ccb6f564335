package dev.smartbroker.it.support;

import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Changes a tenant identity provider through the admin REST API for the length of a test, and restores it.
 * Also the way a test proves that the admin REST API configures tenants.
 */
public final class TenantOverride implements AutoCloseable {

    private final Environment env;
    private final String path;
    private final JsonNode original;

    private TenantOverride(Environment env, String alias) {
        this.env = env;
        this.path = "/realms/" + env.realm() + "/identity-provider/instances/" + alias;
        this.original = env.admin().get(path).json();
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

    @Override
    public void close() {
        KeycloakAdmin.Response response = env.admin().put(path, original);
        if (response.status() / 100 != 2) {
            throw new IllegalStateException("could not restore " + path + ": " + response.body());
        }
    }
}
