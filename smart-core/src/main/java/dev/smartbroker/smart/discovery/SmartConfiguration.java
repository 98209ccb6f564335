package dev.smartbroker.smart.discovery;

import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The endpoints of one SMART tenant, read from {@code {iss}/.well-known/smart-configuration} or, failing that, from the
 * oauth-uris extension of {@code {iss}/metadata} (docs/ehr/smart-app-launch.md §3; docs/ehr/cerner.md §1.3, §1.4). Parsed
 * once and validated once: an instance only exists for endpoints the tenant's profile accepted.
 *
 * @param source               {@code smart-configuration} or {@code metadata}, for diagnostics
 * @param issuer               the discovery {@code issuer}, or null when not given
 * @param authorizationEndpoint authorize URL, or null for a tenant used only for backend services
 * @param tokenEndpoint        token URL, exactly as discovered (Cerner's {@code hosts/} form); also the assertion {@code aud}
 * @param revocationEndpoint   RFC 7009 revocation URL, or null when not advertised
 * @param jwksUri              the authorization server's JWKS, or null when only {@code /metadata} was available
 * @param codeChallengeMethods advertised PKCE methods (empty when not advertised)
 * @param authMethods          advertised token endpoint authentication methods
 * @param authSigningAlgs      advertised client-assertion signing algorithms
 */
public record SmartConfiguration(String source, String issuer, String authorizationEndpoint, String tokenEndpoint,
                                 String revocationEndpoint, String jwksUri, List<String> codeChallengeMethods,
                                 List<String> authMethods, List<String> authSigningAlgs) {

    public static final String SOURCE_WELL_KNOWN = "smart-configuration";
    public static final String SOURCE_METADATA = "metadata";

    public SmartConfiguration {
        codeChallengeMethods = codeChallengeMethods == null ? List.of() : List.copyOf(codeChallengeMethods);
        authMethods = authMethods == null ? List.of() : List.copyOf(authMethods);
        authSigningAlgs = authSigningAlgs == null ? List.of() : List.copyOf(authSigningAlgs);
    }

    /** Not every EHR advertised PKCE in every era (docs/ehr/cerner.md §1.3): only S256 counts. */
    public boolean supportsS256() {
        return codeChallengeMethods.contains("S256");
    }

    /** Scheme and authority of the authorization (else token) endpoint, e.g. {@code https://authorization.cerner.com}. */
    public String authorizationServerOrigin() {
        URI uri = URI.create(authorizationEndpoint != null ? authorizationEndpoint : tokenEndpoint);
        return uri.getScheme().toLowerCase(Locale.ROOT) + "://" + uri.getRawAuthority().toLowerCase(Locale.ROOT);
    }

    public Optional<String> revocation() {
        return Optional.ofNullable(revocationEndpoint);
    }
}
