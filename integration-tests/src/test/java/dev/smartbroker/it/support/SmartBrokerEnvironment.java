package dev.smartbroker.it.support;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * JUnit extension giving integration tests the one shared {@link Environment} (simulator, Keycloak, sample app).
 * It is started by the first test class that needs it, kept in the root context store for the whole run, and
 * closed (every process ended) when the run finishes, whether tests passed or not. When a test fails, the tail of
 * the Keycloak and sample-app logs is printed next to the failure.
 */
public final class SmartBrokerEnvironment implements BeforeAllCallback, ParameterResolver, TestWatcher {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(SmartBrokerEnvironment.class);

    public static Environment get(ExtensionContext context) {
        // A failed start is remembered too, so later test classes fail at once instead of starting everything again.
        Started started = context.getRoot().getStore(NAMESPACE).getOrComputeIfAbsent(Started.class, k -> Started.start(), Started.class);
        if (started.failure() != null) {
            throw new IllegalStateException("The test environment did not start", started.failure());
        }
        return started.environment();
    }

    /** The environment, or why it could not start. */
    record Started(Environment environment, RuntimeException failure) implements ExtensionContext.Store.CloseableResource, AutoCloseable {

        static Started start() {
            try {
                return new Started(Environment.start(), null);
            } catch (RuntimeException e) {
                return new Started(null, e);
            }
        }

        @Override
        public void close() {
            if (environment != null) {
                environment.close();
            }
        }
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        get(context);
    }

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) throws ParameterResolutionException {
        return parameterContext.getParameter().getType() == Environment.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) throws ParameterResolutionException {
        return get(extensionContext);
    }

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        Started started = context.getRoot().getStore(NAMESPACE).get(Started.class, Started.class);
        Environment environment = started == null ? null : started.environment();
        if (environment != null) {
            System.err.println("==== " + context.getDisplayName() + " failed; Keycloak log (tail) " + environment.keycloak().process().log() + " ====");
            System.err.println(environment.keycloak().process().tail(150));
            System.err.println("==== sample app log (tail) ====");
            System.err.println(environment.sampleApp().tail(40));
        }
    }
}
