package dev.smartbroker.it.support;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;

/**
 * Inert copies of one tenant, written straight into the test Keycloak's H2 database, for realms with very many
 * tenants ({@code ManyTenantsIT}, {@code bench/launch -Dbench.tenants=1000}). Saving a tenant through the admin API or
 * a partial import checks it against every tenant of the realm, so registering 1,000 that way costs about 1,000²/2
 * tenant reads (minutes here); what these tests are about is launches in a realm that has them. Each copy keeps the
 * original's config except its alias, display name, FHIR base and client id, so none of them can receive a launch
 * meant for the original. Both writing and removing end by clearing the realm cache, so that Keycloak reads the
 * database again.
 */
public final class TenantCopies {

    private TenantCopies() {
    }

    /** Copies {@code sourceAlias} once per alias; {@code fhirBase} gives each copy's FHIR base. */
    public static void insert(Environment env, String sourceAlias, List<String> aliases, Function<String, String> fhirBase) throws SQLException {
        try (Connection db = DriverManager.getConnection(env.keycloak().jdbcUrl(), "sa", "password")) {
            db.setAutoCommit(false);
            String realmId = realmId(env);
            Map<String, Object> provider = new LinkedHashMap<>();
            try (PreparedStatement select = db.prepareStatement("SELECT * FROM IDENTITY_PROVIDER WHERE PROVIDER_ALIAS = ? AND REALM_ID = ?")) {
                select.setString(1, sourceAlias);
                select.setString(2, realmId);
                try (ResultSet row = select.executeQuery()) {
                    if (!row.next()) {
                        throw new IllegalStateException("no tenant " + sourceAlias + " in the database");
                    }
                    for (int c = 1; c <= row.getMetaData().getColumnCount(); c++) {
                        provider.put(row.getMetaData().getColumnName(c), row.getObject(c));
                    }
                }
            }
            Map<String, String> config = new LinkedHashMap<>();
            try (PreparedStatement select = db.prepareStatement("SELECT NAME, VALUE FROM IDENTITY_PROVIDER_CONFIG WHERE IDENTITY_PROVIDER_ID = ?")) {
                select.setObject(1, provider.get("INTERNAL_ID"));
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        config.put(rows.getString(1), rows.getString(2));
                    }
                }
            }
            String columns = String.join(", ", provider.keySet());
            String marks = String.join(", ", Collections.nCopies(provider.size(), "?"));
            try (PreparedStatement insert = db.prepareStatement("INSERT INTO IDENTITY_PROVIDER (" + columns + ") VALUES (" + marks + ")");
                 PreparedStatement insertConfig = db.prepareStatement(
                         "INSERT INTO IDENTITY_PROVIDER_CONFIG (IDENTITY_PROVIDER_ID, NAME, VALUE) VALUES (?, ?, ?)")) {
                for (String alias : aliases) {
                    String id = UUID.randomUUID().toString();
                    int c = 1;
                    for (Map.Entry<String, Object> column : provider.entrySet()) {
                        insert.setObject(c++, switch (column.getKey()) {
                            case "INTERNAL_ID" -> id;
                            case "PROVIDER_ALIAS" -> alias;
                            case "PROVIDER_DISPLAY_NAME" -> null;
                            default -> column.getValue();
                        });
                    }
                    insert.addBatch();
                    Map<String, String> own = new LinkedHashMap<>(config);
                    own.put("fhirBaseUrl", fhirBase.apply(alias));
                    own.put("clientId", "registration-" + alias);
                    for (Map.Entry<String, String> entry : own.entrySet()) {
                        insertConfig.setString(1, id);
                        insertConfig.setString(2, entry.getKey());
                        insertConfig.setString(3, entry.getValue());
                        insertConfig.addBatch();
                    }
                }
                insert.executeBatch();
                insertConfig.executeBatch();
            }
            db.commit();
        } finally {
            clearRealmCache(env);
        }
    }

    /** Removes the tenants of these aliases from the database again. */
    public static void remove(Environment env, List<String> aliases) throws SQLException {
        try (Connection db = DriverManager.getConnection(env.keycloak().jdbcUrl(), "sa", "password")) {
            db.setAutoCommit(false);
            try (PreparedStatement config = db.prepareStatement("DELETE FROM IDENTITY_PROVIDER_CONFIG WHERE IDENTITY_PROVIDER_ID IN"
                    + " (SELECT INTERNAL_ID FROM IDENTITY_PROVIDER WHERE PROVIDER_ALIAS = ? AND REALM_ID = ?)");
                 PreparedStatement provider = db.prepareStatement("DELETE FROM IDENTITY_PROVIDER WHERE PROVIDER_ALIAS = ? AND REALM_ID = ?")) {
                String realmId = realmId(env);
                for (String alias : aliases) {
                    for (PreparedStatement statement : List.of(config, provider)) {
                        statement.setString(1, alias);
                        statement.setString(2, realmId);
                        statement.addBatch();
                    }
                }
                config.executeBatch();
                provider.executeBatch();
            }
            db.commit();
        } finally {
            clearRealmCache(env);
        }
    }

    private static void clearRealmCache(Environment env) {
        int status = env.admin().post("/realms/" + env.realm() + "/clear-realm-cache", "").status();
        if (status != 204) {
            throw new IllegalStateException("clear-realm-cache answered HTTP " + status);
        }
    }

    private static String realmId(Environment env) {
        return env.admin().get("/realms/" + env.realm()).json().path("id").asText();
    }
}
