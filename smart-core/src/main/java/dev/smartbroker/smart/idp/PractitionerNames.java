package dev.smartbroker.smart.idp;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import org.keycloak.util.JsonSerialization;

/**
 * Names a clinician from their FHIR Practitioner resource, for tenants whose id_token carries no {@code name}: only
 * when the granted scope lets the app read Practitioner, so that the broker never asks Cerner for more than the
 * registration allows.
 */
final class PractitionerNames {

    /** v2 rights in {@code cruds} order (SMART 2.0); {@code r} is read. */
    private static final Pattern V2_RIGHTS = Pattern.compile("c?r?u?d?s?");

    record Name(String first, String last) {
    }

    private PractitionerNames() {
    }

    /** True when {@code grantedScope} contains {@code user/Practitioner.read} (v1) or a v2 right with {@code r}. */
    static boolean scopeAllowsRead(String grantedScope) {
        if (grantedScope == null) {
            return false;
        }
        for (String scope : grantedScope.trim().split("\\s+")) {
            if (!scope.startsWith("user/Practitioner.")) {
                continue;
            }
            String rights = scope.substring("user/Practitioner.".length());
            if (rights.equals("read") || (!rights.isEmpty() && rights.contains("r") && V2_RIGHTS.matcher(rights).matches())) {
                return true;
            }
        }
        return false;
    }

    /**
     * The name of a Practitioner resource: its {@code official} name, else its {@code usual} one, else the first;
     * given names joined by a space. Null when the resource names nobody.
     */
    static Name parse(String resourceJson) {
        JsonNode resource;
        try {
            resource = JsonSerialization.mapper.readTree(resourceJson);
        } catch (IOException e) {
            return null;
        }
        if (resource == null || !"Practitioner".equals(resource.path("resourceType").asText())) {
            return null;
        }
        JsonNode chosen = null;
        for (String use : List.of("official", "usual")) {
            for (JsonNode name : resource.path("name")) {
                if (chosen == null && use.equals(name.path("use").asText().toLowerCase(Locale.ROOT))) {
                    chosen = name;
                }
            }
        }
        if (chosen == null) {
            chosen = resource.path("name").path(0);
        }
        if (chosen.isMissingNode()) {
            return null;
        }
        String family = blankToNull(chosen.path("family").asText(null));
        List<String> given = new ArrayList<>();
        chosen.path("given").forEach(g -> {
            if (!g.asText().isBlank()) {
                given.add(g.asText().trim());
            }
        });
        if (family != null || !given.isEmpty()) {
            return new Name(given.isEmpty() ? null : String.join(" ", given), family == null ? null : family.trim());
        }
        String text = blankToNull(chosen.path("text").asText(null));
        return text == null ? null : new Name(null, text.trim());
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value;
    }
}
