package io.hyperfile.core.store.fault;

import io.hyperfile.core.store.FailureCategory;
import io.hyperfile.core.store.RetryScheduler;
import io.hyperfile.core.store.StorageException;
import io.hyperfile.core.store.fault.FlakyObjectStore.Op;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/** What a {@link FaultRule} does to a call it acts on. */
public interface FaultAction {

    /** Handles the call; {@code proceed} performs it on the wrapped store. */
    <T> CompletableFuture<T> apply(Op op, String key, Supplier<CompletableFuture<T>> proceed);

    /** Fails without touching the store. */
    static FaultAction fail(Supplier<? extends Throwable> error) {
        return new FaultAction() {
            @Override
            public <T> CompletableFuture<T> apply(Op op, String key, Supplier<CompletableFuture<T>> proceed) {
                return CompletableFuture.failedFuture(error.get());
            }
        };
    }

    /** Performs the call, then reports {@code error} whatever happened: the "timeout after the write landed" case. */
    static FaultAction failAfterApplying(Supplier<? extends Throwable> error) {
        return new FaultAction() {
            @Override
            public <T> CompletableFuture<T> apply(Op op, String key, Supplier<CompletableFuture<T>> proceed) {
                return proceed.get().handle((v, e) -> {
                    throw new java.util.concurrent.CompletionException(error.get());
                });
            }
        };
    }

    /** Performs the call once {@code gate} completes (either way). */
    static FaultAction holdUntil(CompletableFuture<?> gate) {
        return new FaultAction() {
            @Override
            public <T> CompletableFuture<T> apply(Op op, String key, Supplier<CompletableFuture<T>> proceed) {
                return gate.handle((v, e) -> null).thenCompose(v -> proceed.get());
            }
        };
    }

    /** Never performs the call and never answers: a request lost in a stalled connection. */
    static FaultAction hold() {
        return new FaultAction() {
            @Override
            public <T> CompletableFuture<T> apply(Op op, String key, Supplier<CompletableFuture<T>> proceed) {
                return new CompletableFuture<>();
            }
        };
    }

    /** Performs the call but never answers: the write landed, then the connection stalled before the reply. */
    static FaultAction applyThenHold() {
        return new FaultAction() {
            @Override
            public <T> CompletableFuture<T> apply(Op op, String key, Supplier<CompletableFuture<T>> proceed) {
                proceed.get();
                return new CompletableFuture<>();
            }
        };
    }

    /** Performs the call after {@code delay} on {@code scheduler}'s clock. */
    static FaultAction delay(Duration delay, RetryScheduler scheduler) {
        return new FaultAction() {
            @Override
            public <T> CompletableFuture<T> apply(Op op, String key, Supplier<CompletableFuture<T>> proceed) {
                CompletableFuture<Void> timer = new CompletableFuture<>();
                scheduler.schedule(() -> timer.complete(null), delay.toNanos());
                return timer.thenCompose(v -> proceed.get());
            }
        };
    }

    /** Runs {@code hook} (say, to crash the caller), then fails the call with {@code error} without applying it. */
    static FaultAction runThenFail(Runnable hook, Supplier<? extends Throwable> error) {
        return new FaultAction() {
            @Override
            public <T> CompletableFuture<T> apply(Op op, String key, Supplier<CompletableFuture<T>> proceed) {
                hook.run();
                return CompletableFuture.failedFuture(error.get());
            }
        };
    }

    /** An injected 503 Service Unavailable (retryable). */
    static StorageException serviceUnavailable(String key) {
        return new StorageException(key, FailureCategory.TRANSIENT, "injected fault: 503 Service Unavailable on " + key);
    }

    /** An injected 503 SlowDown (retryable). */
    static StorageException slowDown(String key) {
        return new StorageException(key, FailureCategory.THROTTLED, "injected fault: 503 SlowDown on " + key);
    }

    /** An injected 403 Access Denied (not retryable). */
    static StorageException accessDenied(String key) {
        return new StorageException(key, FailureCategory.AUTH, "injected fault: 403 AccessDenied on " + key);
    }
}
