package io.hyperfile.core.store;

import java.nio.ByteBuffer;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Retries what is worth retrying, for any store: failures whose {@link FailureCategory#isRetryable() category}
 * is TRANSIENT or THROTTLED, with the backoff and deadline of a {@link RetryPolicy}. Everything else (not found,
 * auth, precondition, invalid) fails at once, unchanged. When the deadline passes, the last failure is reported
 * wrapped in a {@link StorageException} of the same category that says how many attempts were made over how long.
 *
 * <p>A conditional create whose earlier attempt failed in a way that may still have applied it (a timeout, a
 * reset, a 5xx after the body was sent) can meet "already exists" on retry because of its own first attempt. It
 * then reads the object back: the same bytes mean the create succeeded; other bytes mean another writer won, and
 * the caller gets {@link ObjectExistsException}. Callers that fence on create must therefore make concurrent
 * writers' objects differ (Hyperfile puts a writer id in every segment header).
 */
public final class RetryingObjectStore implements ObjectStore {
    private static final Logger LOG = LoggerFactory.getLogger(RetryingObjectStore.class);

    private final ObjectStore delegate;
    private final RetryPolicy policy;
    private final RetryScheduler scheduler;

    public RetryingObjectStore(ObjectStore delegate, RetryPolicy policy, RetryScheduler scheduler) {
        this.delegate = delegate;
        this.policy = policy;
        this.scheduler = scheduler;
    }

    public RetryingObjectStore(ObjectStore delegate, RetryPolicy policy) {
        this(delegate, policy, RetryScheduler.system());
    }

    @Override
    public StoreCapabilities capabilities() {
        return delegate.capabilities();
    }

    @Override
    public CompletableFuture<ObjectData> get(String key, ByteRange range) {
        return retry("GET", key, () -> delegate.get(key, range));
    }

    @Override
    public CompletableFuture<Void> put(String key, ByteBuffer data) {
        ByteBuffer body = data.duplicate();
        return retry("PUT", key, () -> delegate.put(key, body));
    }

    @Override
    public CompletableFuture<Void> create(String key, ByteBuffer data) {
        ByteBuffer body = data.duplicate();
        boolean[] mayHaveApplied = {false};
        CompletableFuture<Void> result = new CompletableFuture<>();
        Attempts<Void> attempts = new Attempts<>("CREATE", key, () -> delegate.create(key, body), result) {
            @Override
            void onRetryableFailure() {
                mayHaveApplied[0] = true;
            }

            @Override
            boolean onFinalFailure(Throwable cause) {
                if (!(cause instanceof PreconditionFailedException) || !mayHaveApplied[0]) {
                    return false;
                }
                // An earlier attempt may have created the object: if it holds our bytes, it did.
                get(key, ByteRange.all()).whenComplete((existing, readFailure) -> {
                    if (readFailure != null) {
                        result.completeExceptionally(Exceptions.unwrap(readFailure));
                    } else if (existing.data().equals(body.duplicate())) {
                        LOG.debug("create of {} had already applied on an earlier attempt", key);
                        result.complete(null);
                    } else {
                        result.completeExceptionally(new ObjectExistsException(key, cause));
                    }
                });
                return true;
            }
        };
        attempts.start();
        return result;
    }

    @Override
    public CompletableFuture<ObjectInfo> head(String key) {
        return retry("HEAD", key, () -> delegate.head(key));
    }

    @Override
    public CompletableFuture<ListPage> list(String prefix, String startAfter, int maxKeys) {
        return retry("LIST", prefix, () -> delegate.list(prefix, startAfter, maxKeys));
    }

    @Override
    public CompletableFuture<Void> delete(String key) {
        return retry("DELETE", key, () -> delegate.delete(key));
    }

    @Override
    public CompletableFuture<Void> deleteAll(Collection<String> keys) {
        List<String> copy = List.copyOf(keys);
        return retry("DELETE", copy.isEmpty() ? null : copy.get(0), () -> delegate.deleteAll(copy));
    }

    @Override
    public void close() {
        delegate.close();
    }

    public ObjectStore delegate() {
        return delegate;
    }

    @Override
    public String toString() {
        return "Retrying[" + delegate + "]";
    }

    private <T> CompletableFuture<T> retry(String op, String key, Supplier<CompletableFuture<T>> call) {
        CompletableFuture<T> result = new CompletableFuture<>();
        new Attempts<>(op, key, call, result).start();
        return result;
    }

    /** The attempts of one operation. */
    private class Attempts<T> {
        private final String op;
        private final String key;
        private final Supplier<CompletableFuture<T>> call;
        final CompletableFuture<T> result;
        private final long startNanos = scheduler.nanoTime();
        private int attempt;

        Attempts(String op, String key, Supplier<CompletableFuture<T>> call, CompletableFuture<T> result) {
            this.op = op;
            this.key = key;
            this.call = call;
            this.result = result;
        }

        void onRetryableFailure() {
        }

        /** Returns true if it took charge of completing {@link #result}. */
        boolean onFinalFailure(Throwable cause) {
            return false;
        }

        void start() {
            attempt++;
            CompletableFuture<T> f;
            try {
                f = call.get();
            } catch (RuntimeException e) {
                f = CompletableFuture.failedFuture(e);
            }
            f.whenComplete((value, failure) -> {
                if (failure == null) {
                    result.complete(value);
                    return;
                }
                Throwable cause = Exceptions.unwrap(failure);
                if (!(cause instanceof StorageException se) || !se.isRetryable()) {
                    if (!onFinalFailure(cause)) {
                        result.completeExceptionally(cause);
                    }
                    return;
                }
                onRetryableFailure();
                long backoff = policy.backoffNanos(attempt);
                long delay = backoff / 2 + ThreadLocalRandom.current().nextLong(backoff / 2 + 1);
                long elapsed = scheduler.nanoTime() - startNanos;
                if (elapsed + delay > policy.deadline().toNanos()) {
                    result.completeExceptionally(new StorageException(key, se.category(), String.format(
                            "%s %s failed after %d attempts in %d ms (retry deadline %d ms): %s",
                            op, key, attempt, elapsed / 1_000_000, policy.deadline().toMillis(), se.getMessage()), se));
                    return;
                }
                LOG.debug("{} {} failed ({}), retry {} in {} ms", op, key, se.getMessage(), attempt, delay / 1_000_000);
                scheduler.schedule(this::start, delay);
            });
        }
    }
}
