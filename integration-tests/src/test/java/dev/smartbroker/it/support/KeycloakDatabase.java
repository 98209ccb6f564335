package dev.smartbroker.it.support;

import java.nio.charset.StandardCharsets;
import java.sql.Blob;
import java.sql.Clob;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Reads what Keycloak persisted, through the same H2 database file (AUTO_SERVER mode): to show that secrets
 * never reach it in plain text, and what the launch table holds.
 */
public final class KeycloakDatabase {

    private final String jdbcUrl;

    public KeycloakDatabase(String jdbcUrl) {
        this.jdbcUrl = jdbcUrl;
    }

    /** Where one of the needles was found: table and column. */
    public record Hit(String table, String column, String needle) {
    }

    /** Every text or binary cell of every table that contains one of {@code needles}. */
    public List<Hit> find(Collection<String> needles) throws SQLException {
        List<Hit> hits = new ArrayList<>();
        try (Connection connection = DriverManager.getConnection(jdbcUrl, "sa", "password")) {
            DatabaseMetaData meta = connection.getMetaData();
            List<String> tables = new ArrayList<>();
            try (ResultSet rs = meta.getTables(null, null, "%", new String[]{"TABLE"})) {
                while (rs.next()) {
                    String schema = rs.getString("TABLE_SCHEM");
                    if (!"INFORMATION_SCHEMA".equalsIgnoreCase(schema)) {
                        tables.add("\"" + schema + "\".\"" + rs.getString("TABLE_NAME") + "\"");
                    }
                }
            }
            for (String table : tables) {
                try (Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery("SELECT * FROM " + table)) {
                    int columns = rows.getMetaData().getColumnCount();
                    while (rows.next()) {
                        for (int c = 1; c <= columns; c++) {
                            String text = text(rows, c);
                            if (text == null) {
                                continue;
                            }
                            for (String needle : needles) {
                                if (text.contains(needle)) {
                                    hits.add(new Hit(table, rows.getMetaData().getColumnName(c), needle));
                                }
                            }
                        }
                    }
                }
            }
        }
        return hits;
    }

    /** Number of rows of a table whose text columns mention {@code value}. */
    public int rowsMentioning(String table, String value) throws SQLException {
        int count = 0;
        try (Connection connection = DriverManager.getConnection(jdbcUrl, "sa", "password");
             Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT * FROM " + table)) {
            int columns = rows.getMetaData().getColumnCount();
            while (rows.next()) {
                for (int c = 1; c <= columns; c++) {
                    String text = text(rows, c);
                    if (text != null && text.contains(value)) {
                        count++;
                        break;
                    }
                }
            }
        }
        return count;
    }

    /** The rows a query with {@code ?} parameters returns, each as column name (upper case) to value. */
    public List<java.util.Map<String, Object>> query(String sql, Object... parameters) throws SQLException {
        List<java.util.Map<String, Object>> result = new ArrayList<>();
        try (Connection connection = DriverManager.getConnection(jdbcUrl, "sa", "password");
             java.sql.PreparedStatement statement = connection.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                statement.setObject(i + 1, parameters[i]);
            }
            try (ResultSet rows = statement.executeQuery()) {
                int columns = rows.getMetaData().getColumnCount();
                while (rows.next()) {
                    java.util.Map<String, Object> row = new java.util.LinkedHashMap<>();
                    for (int c = 1; c <= columns; c++) {
                        Object value = rows.getObject(c);
                        row.put(rows.getMetaData().getColumnName(c).toUpperCase(java.util.Locale.ROOT),
                                value instanceof Clob || value instanceof Blob || value instanceof byte[] ? text(rows, c) : value);
                    }
                    result.add(row);
                }
            }
        }
        return result;
    }

    private static String text(ResultSet rows, int column) throws SQLException {
        Object value = rows.getObject(column);
        if (value == null) {
            return null;
        }
        if (value instanceof String s) {
            return s;
        }
        if (value instanceof byte[] bytes) {
            return new String(bytes, StandardCharsets.UTF_8);
        }
        if (value instanceof Clob clob) {
            return clob.getSubString(1, (int) clob.length());
        }
        if (value instanceof Blob blob) {
            return new String(blob.getBytes(1, (int) blob.length()), StandardCharsets.UTF_8);
        }
        return null;
    }
}
