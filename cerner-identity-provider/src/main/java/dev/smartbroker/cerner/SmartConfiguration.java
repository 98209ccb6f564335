package dev.smartbroker.cerner;

import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The endpoints of one Cerner tenant, read from {@code {iss}/.well-known/smart-configuration} or, failing that,
 * from the oauth-uris extension of {@code {iss}/metadata} (docs/ehr/cerner.md §1.3, §1.4). Parsed once and
 * validated once: an instance only exists for endpoints that belong to the same tenant as {@code iss}.
 *
 * @param source               {@code smart-configuration} or {@code metadata}, for diagnostics
 * @param authorizationEndpoint provider-persona authorize URL
 * @param tokenEndpoint        token URL, exactly as discovered (the {@code hosts/} form); also the assertion {@code aud}
 * @param revocationEndpoint   RFC 7009 revocation URL, or null when not advertised
 * @param jwksUri              the authorization server's JWKS, or null when only {@code /metadata} was available
 * @param codeChallengeMethods advertised PKCE methods (empty when not advertised)
 * @param authMethods          advertised token endpoint authentication methods
 * @param authSigningAlgs      advertised client-assertion signing algorithms
 */
record SmartConfiguration(String source, String authorizationEndpoint, String tokenEndpoint, String revocationEndpoint,
                          String jwksUri, List<String> codeChallengeMethods, List<String> authMethods,
                          List<String> authSigningAlgs) {

    static final String SOURCE_WELL_KNOWN = "smart-configuration";
    static final String SOURCE_METADATA = "metadata";

    SmartConfiguration {
        codeChallengeMethods = codeChallengeMethods == null ? List.of() : List.copyOf(codeChallengeMethods);
        authMethods = authMethods == null ? List.of() : List.copyOf(authMethods);
        authSigningAlgs = authSigningAlgs == null ? List.of() : List.copyOf(authSigningAlgs);
    }

    /** Cerner did not advertise PKCE in every era (docs/ehr/cerner.md §1.3): only S256 counts. */
    boolean supportsS256() {
        return codeChallengeMethods.contains("S256");
    }

    /** Scheme and authority of the authorization server, e.g. {@code https://authorization.cerner.com}. */
    String authorizationServerOrigin() {
        URI uri = URI.create(authorizationEndpoint);
        return uri.getScheme().toLowerCase(Locale.ROOT) + "://" + uri.getRawAuthority().toLowerCase(Locale.ROOT);
    }

    Optional<String> revocation() {
        return Optional.ofNullable(revocationEndpoint);
    }
}
