package io.hyperfile.core.store;

import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Small helpers for tests of asynchronous stores. */
public final class StoreTesting {
    private StoreTesting() {
    }

    /** Waits for the future (at most a minute, so a hang fails the test instead of the build). */
    public static <T> T await(CompletableFuture<T> f) {
        try {
            return f.get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            Throwable cause = Exceptions.unwrap(e);
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            throw new AssertionError("future failed", cause);
        } catch (InterruptedException | TimeoutException e) {
            throw new AssertionError("future did not complete", e);
        }
    }

    /** Waits for the future to fail and returns its (unwrapped) failure, which must be of {@code type}. */
    public static <E extends Throwable> E failure(Class<E> type, CompletableFuture<?> f) {
        return assertThrows(type, () -> await(f));
    }
}
