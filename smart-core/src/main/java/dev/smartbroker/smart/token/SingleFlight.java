package dev.smartbroker.smart.token;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

import dev.smartbroker.smart.http.UpstreamException;

/**
 * Makes concurrent callers on one node share a single upstream call per key (a launch's refresh, a system token):
 * the first caller runs it, the others wait for its result. Across nodes the callers use a lock in Keycloak's
 * replicated single-use store as well (see {@link LaunchTokens}). Owned by the provider factory; holds only
 * calls in flight, never results.
 */
public final class SingleFlight {

    private final Map<String, CompletableFuture<Object>> inFlight = new ConcurrentHashMap<>();

    /**
     * Runs {@code call} unless a call for {@code key} is already running on this node, in which case it waits up to
     * {@code waitMillis} for that call's result.
     *
     * @throws UpstreamException from the call, for every caller that waited on it
     */
    @SuppressWarnings("unchecked")
    public <T> T once(String key, long waitMillis, Supplier<T> call) throws UpstreamException {
        CompletableFuture<Object> mine = new CompletableFuture<>();
        CompletableFuture<Object> running = inFlight.putIfAbsent(key, mine);
        if (running != null) {
            try {
                return (T) running.get(waitMillis, TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof CallFailure failure) {
                    throw failure.exception();
                }
                if (e.getCause() instanceof RuntimeException runtime) {
                    throw runtime;
                }
                throw new UpstreamException(UpstreamException.Kind.TOKEN_ERROR, "concurrent call failed", e.getCause());
            } catch (TimeoutException e) {
                throw new UpstreamException(UpstreamException.Kind.TIMEOUT, "waited too long for a concurrent call to the EHR");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new UpstreamException(UpstreamException.Kind.TIMEOUT, "interrupted while waiting for the EHR");
            }
        }
        try {
            T result = call.get();
            mine.complete(result);
            return result;
        } catch (CallFailure failure) {
            mine.completeExceptionally(failure);
            throw failure.exception();
        } catch (RuntimeException | Error e) {
            // Waiters must learn of any failure now, not after waitMillis as a misleading TIMEOUT.
            mine.completeExceptionally(e);
            throw e;
        } finally {
            inFlight.remove(key, mine);
        }
    }

    public int inFlight() {
        return inFlight.size();
    }

    /** Carries a {@link UpstreamException} out of a {@link Supplier}. */
    public static final class CallFailure extends RuntimeException {

        private static final long serialVersionUID = 1L;

        public CallFailure(UpstreamException cause) {
            super(cause.getMessage(), cause, false, false);
        }

        public UpstreamException exception() {
            return (UpstreamException) getCause();
        }
    }
}
