package dev.smartbroker.smart.testing;

import java.util.Map;
import java.util.concurrent.CompletionStage;

import jakarta.ws.rs.SeBootstrap;
import jakarta.ws.rs.core.Application;
import jakarta.ws.rs.core.EntityPart;
import jakarta.ws.rs.core.Link;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriBuilder;
import jakarta.ws.rs.core.Variant;
import jakarta.ws.rs.ext.RuntimeDelegate;

/**
 * The unit tests run without a JAX-RS implementation (Keycloak brings RESTEasy at run time). Keycloak's
 * {@code OIDCIdentityProvider}, which {@code SmartIdentityProvider} extends, parses one media type when its class is
 * initialised, so that a test can mock an identity provider; this delegate answers that and nothing else.
 */
public final class MediaTypeOnlyRuntimeDelegate extends RuntimeDelegate {

    @Override
    @SuppressWarnings("unchecked")
    public <T> HeaderDelegate<T> createHeaderDelegate(Class<T> type) {
        if (type != MediaType.class) {
            throw new UnsupportedOperationException("no JAX-RS runtime in unit tests: " + type.getName());
        }
        return (HeaderDelegate<T>) new HeaderDelegate<MediaType>() {
            @Override
            public MediaType fromString(String value) {
                String[] parts = value.split(";", 2)[0].trim().split("/", 2);
                return new MediaType(parts[0], parts.length > 1 ? parts[1] : MediaType.MEDIA_TYPE_WILDCARD, Map.of());
            }

            @Override
            public String toString(MediaType value) {
                return value.getType() + "/" + value.getSubtype();
            }
        };
    }

    @Override
    public UriBuilder createUriBuilder() {
        throw unsupported();
    }

    @Override
    public Response.ResponseBuilder createResponseBuilder() {
        throw unsupported();
    }

    @Override
    public Variant.VariantListBuilder createVariantListBuilder() {
        throw unsupported();
    }

    @Override
    public <T> T createEndpoint(Application application, Class<T> endpointType) {
        throw unsupported();
    }

    @Override
    public Link.Builder createLinkBuilder() {
        throw unsupported();
    }

    @Override
    public SeBootstrap.Configuration.Builder createConfigurationBuilder() {
        throw unsupported();
    }

    @Override
    public CompletionStage<SeBootstrap.Instance> bootstrap(Application application, SeBootstrap.Configuration configuration) {
        throw unsupported();
    }

    @Override
    public CompletionStage<SeBootstrap.Instance> bootstrap(Class<? extends Application> clazz, SeBootstrap.Configuration configuration) {
        throw unsupported();
    }

    @Override
    public EntityPart.Builder createEntityPartBuilder(String partName) {
        throw unsupported();
    }

    private static UnsupportedOperationException unsupported() {
        return new UnsupportedOperationException("no JAX-RS runtime in unit tests");
    }
}
