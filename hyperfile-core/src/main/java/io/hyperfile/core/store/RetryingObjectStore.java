package io.hyperfile.core.store;

import io.hyperfile.core.store.RetryScheduler.Cancellable;
import java.nio.ByteBuffer;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Retries what is worth retrying, for any store: failures whose {@link FailureCategory#isRetryable() category}
 * is TRANSIENT or THROTTLED, with the backoff and deadline of a {@link RetryPolicy}. Everything else (not found,
 * auth, precondition, invalid) fails at once, unchanged. When the deadline passes, the last failure is reported
 * wrapped in a {@link StorageException} of the same category that says how many attempts were made over how long.
 *
 * <p><b>Attempt timeouts.</b> Every attempt gets {@link RetryPolicy#attemptTimeoutNanos} for its payload (the body
 * of a put or create, the length of a ranged get; {@value #UNSIZED_READ_BYTES} bytes for a read whose length the
 * request does not say). An attempt still running then counts as a TRANSIENT failure: it is cancelled (for S3 this
 * aborts the request), its late result, if any, is ignored, and the operation is retried like after any transient
 * failure. A cancelled attempt may still have applied, or may still apply: for a conditional create that is
 * handled below; an unconditional put that applies late can replace a newer put of the same key, so callers that
 * put one key repeatedly must not rely on the order of puts that failed or timed out. For the same reason a
 * cancelled attempt may still read the caller's buffer for a moment after the returned future completed: a caller
 * that reuses the buffer then must be safe against those bytes being sent (for a conditional create they cannot
 * land once the key exists, so reusing a segment's buffer after its create succeeded is safe).
 *
 * <p><b>Conditional create.</b> A create whose earlier attempt failed in a way that may have applied it (a timeout,
 * a reset, a 5xx after the body was sent) can meet "already exists" on retry because of its own earlier attempt. It
 * then reads the object back: the same bytes mean the create succeeded; other bytes mean another writer won, and
 * the caller gets {@link ObjectExistsException}. The same happens when the store itself says the conflict may be
 * its own resent write ({@link ObjectExistsException#mayBeOwnWrite()}, the S3 store, whose client retries inside
 * one attempt). Callers that fence on create must therefore make concurrent
 * writers' objects differ (Hyperfile puts a writer id in every segment header). A create that finally failed
 * after such an attempt may still have created the object; its key is remembered (up to
 * {@value #MAX_UNCERTAIN_CREATES} keys), and a later create of the same key through this store reads back too, so
 * re-sending a failed upload finds its own object instead of a conflict.
 *
 * <p>Thread-safe. Timeouts and retries run on the injected {@link RetryScheduler}; results complete on the
 * wrapped store's threads or the scheduler's. Argument errors of the first attempt
 * ({@link IllegalArgumentException}) are thrown to the caller, as {@link ObjectStore} says.
 */
public final class RetryingObjectStore implements ObjectStore {
    private static final Logger LOG = LoggerFactory.getLogger(RetryingObjectStore.class);

    /**
     * The size a read's timeout assumes when the request does not bound it (whole object, or from an offset): a
     * little more than Hyperfile's largest objects, its segments.
     */
    public static final long UNSIZED_READ_BYTES = 32L << 20;
    /** The payload a batch delete's timeout assumes per key (the key and its XML in the request). */
    static final long DELETE_BYTES_PER_KEY = 1024;
    /** The most keys of creates with unknown outcome remembered (a volume has a few segments in flight). */
    static final int MAX_UNCERTAIN_CREATES = 4096;

    private final ObjectStore delegate;
    private final RetryPolicy policy;
    private final RetryScheduler scheduler;
    private final AttemptWatchdog watchdog;
    /** Keys whose create failed after an attempt that may have applied: a later create of one reads back. */
    private final Set<String> uncertainCreates = ConcurrentHashMap.newKeySet();

    public RetryingObjectStore(ObjectStore delegate, RetryPolicy policy, RetryScheduler scheduler) {
        if (delegate == null || policy == null || scheduler == null) {
            throw new IllegalArgumentException("delegate, policy and scheduler must not be null");
        }
        this.delegate = delegate;
        this.policy = policy;
        this.scheduler = scheduler;
        this.watchdog = new AttemptWatchdog(scheduler);
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
        return get(key, range, readBytes(range));
    }

    private CompletableFuture<ObjectData> get(String key, ByteRange range, long expectedBytes) {
        return retry("GET", key, expectedBytes, () -> delegate.get(key, range));
    }

    /**
     * Retried as {@code get} is. An attempt's reader runs only if the attempt has not timed out by the time its bytes
     * are there, and once it runs the attempt no longer times out (the reader works on bytes in memory), so a reader
     * never runs for an attempt that was given up: it may be writing into the caller's memory, which the caller may
     * reuse as soon as the returned future completes.
     */
    @Override
    public <T> CompletableFuture<T> read(String key, ByteRange range, Function<ObjectData, T> reader) {
        if (reader == null) {
            throw new IllegalArgumentException("reader must not be null");
        }
        return retry("GET", key, readBytes(range), gate -> delegate.read(key, range, data -> {
            if (!gate.enter()) {
                throw new CancellationException("GET " + key + ": the attempt timed out before its reader ran");
            }
            return reader.apply(data);
        }));
    }

    @Override
    public CompletableFuture<Void> put(String key, ByteBuffer data) {
        checkData(data);
        ByteBuffer body = data.duplicate();
        return retry("PUT", key, body.remaining(), () -> delegate.put(key, body));
    }

    @Override
    public CompletableFuture<Void> create(String key, ByteBuffer data) {
        checkData(data);
        ByteBuffer body = data.duplicate();
        // An earlier call's create of this key that failed may have applied too (the volume re-sends a failed upload).
        AtomicBoolean mayHaveApplied = new AtomicBoolean(uncertainCreates.contains(key));
        CompletableFuture<Void> result = new CompletableFuture<>();
        Attempts<Void> attempts = new Attempts<>("CREATE", key, body.remaining(), gate -> delegate.create(key, body), result) {
            @Override
            void onRetryableFailure() {
                // Includes timed-out attempts: they are cancelled, but may have applied before, or apply after.
                mayHaveApplied.set(true);
            }

            @Override
            boolean onFinalFailure(Throwable cause) {
                boolean ownWritePossible = mayHaveApplied.get()
                        || cause instanceof ObjectExistsException exists && exists.mayBeOwnWrite();
                if (!(cause instanceof PreconditionFailedException) || !ownWritePossible) {
                    return false;
                }
                // An earlier attempt may have created the object: if it holds our bytes, it did.
                get(key, ByteRange.all(), body.remaining()).whenComplete((existing, readFailure) -> {
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
        // The caller sees the outcome only after the bookkeeping: a caller that re-sends at once, even from a callback
        // on the thread that completes the create, must find the key remembered as possibly applied.
        CompletableFuture<Void> settled = new CompletableFuture<>();
        result.whenComplete((v, failure) -> {
            if (failure == null || Exceptions.unwrap(failure) instanceof ObjectExistsException) {
                uncertainCreates.remove(key); // settled: ours, or someone else's
            } else if (mayHaveApplied.get()) {
                rememberUncertain(key);
            }
            if (failure == null) {
                settled.complete(null);
            } else {
                settled.completeExceptionally(failure);
            }
        });
        attempts.start();
        return settled;
    }

    @Override
    public CompletableFuture<ObjectInfo> head(String key) {
        return retry("HEAD", key, 0, () -> delegate.head(key));
    }

    @Override
    public CompletableFuture<ListPage> list(String prefix, String startAfter, int maxKeys) {
        return retry("LIST", prefix, 0, () -> delegate.list(prefix, startAfter, maxKeys));
    }

    @Override
    public CompletableFuture<Void> delete(String key) {
        return retry("DELETE", key, 0, () -> delegate.delete(key));
    }

    @Override
    public CompletableFuture<Void> deleteAll(Collection<String> keys) {
        if (keys == null) {
            throw new IllegalArgumentException("keys must not be null");
        }
        List<String> copy = List.copyOf(keys);
        return retry("DELETE", copy.isEmpty() ? null : copy.get(0), copy.size() * DELETE_BYTES_PER_KEY,
                () -> delegate.deleteAll(copy));
    }

    @Override
    public void close() {
        delegate.close();
    }

    public ObjectStore delegate() {
        return delegate;
    }

    public RetryPolicy policy() {
        return policy;
    }

    @Override
    public String toString() {
        return "Retrying[" + delegate + "]";
    }

    private void rememberUncertain(String key) {
        if (uncertainCreates.size() < MAX_UNCERTAIN_CREATES) {
            uncertainCreates.add(key);
        } else {
            LOG.warn("too many creates of unknown outcome; a later create of {} that finds it taken will not read it back", key);
        }
    }

    private static long readBytes(ByteRange range) {
        if (range instanceof ByteRange.Span s) {
            return s.length();
        }
        if (range instanceof ByteRange.Suffix s) {
            return s.length();
        }
        return UNSIZED_READ_BYTES;
    }

    private static void checkData(ByteBuffer data) {
        if (data == null) {
            throw new IllegalArgumentException("data must not be null");
        }
    }

    private <T> CompletableFuture<T> retry(String op, String key, long requestBytes, Supplier<CompletableFuture<T>> call) {
        return retry(op, key, requestBytes, gate -> call.get());
    }

    private <T> CompletableFuture<T> retry(String op, String key, long requestBytes,
            Function<ReaderGate, CompletableFuture<T>> call) {
        ReaderGate gate = new ReaderGate();
        CompletableFuture<T> first = send(call, gate, true);
        if (first.isDone() && !first.isCompletedExceptionally()) {
            return first; // answered at once (a local read, a cache hit): nothing to time or retry
        }
        CompletableFuture<T> result = new CompletableFuture<>();
        new Attempts<>(op, key, requestBytes, call, result).settle(gate, first);
        return result;
    }

    /**
     * Sends one attempt through {@code gate}. A call that throws fails the attempt, except an
     * {@link IllegalArgumentException} thrown by the {@code first}: the caller's mistake, which no attempt would mend,
     * is thrown back to the caller.
     */
    private static <T> CompletableFuture<T> send(Function<ReaderGate, CompletableFuture<T>> call, ReaderGate gate,
            boolean first) {
        try {
            return call.apply(gate);
        } catch (IllegalArgumentException e) {
            if (first) {
                throw e;
            }
            return CompletableFuture.failedFuture(e);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * One attempt's say over its reader ({@link #read}): the reader enters only while the attempt has not timed out,
     * and the attempt times out only while no reader has entered. Attempts of other operations never enter it.
     */
    private static final class ReaderGate {
        private static final int OPEN = 0;
        private static final int READING = 1;
        private static final int TIMED_OUT = 2;
        private final AtomicInteger state = new AtomicInteger(OPEN);

        boolean enter() {
            return state.compareAndSet(OPEN, READING);
        }

        /** False when a reader is running or ran: the attempt is then not timed out. */
        boolean timeOut() {
            return state.compareAndSet(OPEN, TIMED_OUT);
        }
    }

    /**
     * The attempts of one operation. One attempt runs at a time: the next starts only after this one has settled
     * (completed or timed out), from the scheduler, so the fields are handed between threads with a happens-before.
     */
    private class Attempts<T> {
        private final String op;
        private final String key;
        private final long timeoutNanos;
        private final Function<ReaderGate, CompletableFuture<T>> call;
        final CompletableFuture<T> result;
        private final long startNanos = scheduler.nanoTime();
        private int attempt;

        Attempts(String op, String key, long requestBytes, Function<ReaderGate, CompletableFuture<T>> call,
                CompletableFuture<T> result) {
            this.op = op;
            this.key = key;
            this.timeoutNanos = policy.attemptTimeoutNanos(requestBytes);
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
            ReaderGate gate = new ReaderGate();
            settle(gate, send(call, gate, attempt == 0));
        }

        /** Watches attempt {@code f} (already sent, through {@code gate}): completes, times out or retries. */
        void settle(ReaderGate gate, CompletableFuture<T> f) {
            int n = ++attempt;
            AtomicBoolean settled = new AtomicBoolean();
            CompletableFuture<T> attemptFuture = f;
            Cancellable timer = f.isDone() ? null : watchdog.watch(timeoutNanos, () -> {
                if (gate.timeOut() && settled.compareAndSet(false, true)) {
                    attemptFuture.cancel(false);
                    onFailure(new StorageException(key, FailureCategory.TRANSIENT, String.format(
                            "%s %s: attempt %d got no answer within %d ms", op, key, n, timeoutNanos / 1_000_000)));
                }
            });
            f.whenComplete((value, failure) -> {
                if (!settled.compareAndSet(false, true)) {
                    if (!(failure instanceof CancellationException)) {
                        LOG.debug("{} {}: ignoring the late {} of timed-out attempt {}", op, key,
                                failure == null ? "success" : "failure (" + failure + ")", n);
                    }
                    return;
                }
                if (timer != null) {
                    timer.cancel();
                }
                if (failure == null) {
                    result.complete(value);
                } else {
                    onFailure(Exceptions.unwrap(failure));
                }
            });
        }

        private void onFailure(Throwable cause) {
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
        }
    }
}
