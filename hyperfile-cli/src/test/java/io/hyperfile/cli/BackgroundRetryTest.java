package io.hyperfile.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.CorruptionException;
import io.hyperfile.core.store.FailureCategory;
import io.hyperfile.core.store.StorageException;
import io.hyperfile.core.store.VirtualScheduler;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** The retry logic of serve's background opens, in virtual time: no test here waits for a clock. */
class BackgroundRetryTest {
    private static final long SECOND = 1_000_000_000L;
    private static final OpenRetryPolicy POLICY = new OpenRetryPolicy(Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ZERO);

    private final VirtualScheduler scheduler = new VirtualScheduler();
    private final List<String> events = new ArrayList<>();
    private final List<String> discarded = new ArrayList<>();
    /** What each attempt returns, in order; the number of attempts made is how many were taken. */
    private final Deque<Supplier<CompletableFuture<String>>> script = new ArrayDeque<>();
    private int attempts;

    private static StorageException unavailable() {
        return new StorageException("v/volume", FailureCategory.TRANSIENT, "503 Service Unavailable");
    }

    private void fails(Throwable t, int times) {
        for (int i = 0; i < times; i++) {
            script.add(() -> CompletableFuture.failedFuture(t));
        }
    }

    private void succeeds(String value) {
        script.add(() -> CompletableFuture.completedFuture(value));
    }

    private BackgroundRetry<String> start(OpenRetryPolicy policy, CompletableFuture<Void> afterSuccess) {
        return BackgroundRetry.start(() -> {
            attempts++;
            return script.remove().get();
        }, OpenFailures::isTransient, policy, scheduler, discarded::add, new BackgroundRetry.Listener<>() {
            @Override
            public CompletableFuture<Void> succeeded(String value, int failures) {
                events.add("succeeded " + value + " after " + failures);
                return afterSuccess;
            }

            @Override
            public void willRetry(Throwable failure, int failures, long delayNanos) {
                events.add("retry " + failures + " in " + delayNanos / SECOND + "s: " + failure.getClass().getSimpleName());
            }

            @Override
            public void failed(Throwable failure) {
                events.add("failed: " + failure.getClass().getSimpleName());
            }
        });
    }

    @Test
    void transientFailuresAreRetriedWithDoublingBackoffUntilTheOpenSucceeds() {
        fails(unavailable(), 4);
        succeeds("disk0");
        BackgroundRetry<String> r = start(POLICY, CompletableFuture.completedFuture(null));
        assertTrue(r.firstAttempt().isDone(), "the first attempt settled (and a retry is scheduled)");
        assertEquals(1, attempts);
        assertEquals(List.of("retry 1 in 1s: StorageException"), events);
        assertEquals(1, scheduler.pending());

        scheduler.runUntilIdle();
        assertEquals(5, attempts);
        assertEquals(List.of(SECOND, 2 * SECOND, 4 * SECOND, 5 * SECOND), scheduler.delays(), "doubling, capped at 5 s");
        assertEquals(List.of("retry 1 in 1s: StorageException", "retry 2 in 2s: StorageException",
                "retry 3 in 4s: StorageException", "retry 4 in 5s: StorageException", "succeeded disk0 after 4"), events);
        assertEquals(0, scheduler.pending(), "nothing more once it opened");
    }

    @Test
    void throttlingIsTransientToo() {
        fails(new StorageException("v/volume", FailureCategory.THROTTLED, "503 SlowDown"), 1);
        succeeds("disk0");
        start(POLICY, CompletableFuture.completedFuture(null));
        scheduler.runUntilIdle();
        assertEquals(List.of("retry 1 in 1s: StorageException", "succeeded disk0 after 1"), events);
    }

    @Test
    void aPermanentFailureIsReportedOnceAndNotRetried() {
        fails(new CorruptionException("v/seg/1", 0, "bad footer"), 1);
        BackgroundRetry<String> r = start(POLICY, CompletableFuture.completedFuture(null));
        assertTrue(r.firstAttempt().isDone());
        scheduler.runUntilIdle();
        assertEquals(1, attempts);
        assertEquals(List.of("failed: CorruptionException"), events);
        assertEquals(List.of(), scheduler.delays());
    }

    @Test
    void aPermanentFailureAfterTransientOnesEndsTheRetries() {
        fails(unavailable(), 2);
        fails(new StorageException("v/volume", FailureCategory.AUTH, "403 AccessDenied"), 1);
        start(POLICY, CompletableFuture.completedFuture(null));
        scheduler.runUntilIdle();
        assertEquals(3, attempts);
        assertEquals(List.of("retry 1 in 1s: StorageException", "retry 2 in 2s: StorageException", "failed: StorageException"), events);
    }

    @Test
    void cancelStopsFurtherAttempts() {
        fails(unavailable(), 3);
        BackgroundRetry<String> r = start(POLICY, CompletableFuture.completedFuture(null));
        r.cancel();
        scheduler.runUntilIdle();
        assertEquals(1, attempts, "the scheduled retry found the retry cancelled");
        assertEquals(List.of("retry 1 in 1s: StorageException"), events);
    }

    @Test
    void anAttemptThatHangsTimesOutIsRetriedAndItsLateVolumeDiscarded() {
        CompletableFuture<String> hung = new CompletableFuture<>();
        script.add(() -> hung);
        succeeds("second");
        OpenRetryPolicy withTimeout = new OpenRetryPolicy(Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofSeconds(30));
        BackgroundRetry<String> r = start(withTimeout, CompletableFuture.completedFuture(null));
        assertFalse(r.firstAttempt().isDone(), "the first attempt has not settled yet");
        assertEquals(List.of(30 * SECOND), scheduler.delays(), "the attempt's timeout");

        scheduler.runUntilIdle();
        assertTrue(r.firstAttempt().isDone());
        assertEquals(List.of("retry 1 in 1s: TimeoutException", "succeeded second after 1"), events);
        hung.complete("late");
        assertEquals(List.of("late"), discarded, "a value from a timed-out attempt is handed to discard");
        assertEquals(2, events.size(), "and not reported as a success");
    }

    @Test
    void theFirstAttemptIncludesWhatItsSuccessStarted() {
        succeeds("disk0");
        CompletableFuture<Void> snapshots = new CompletableFuture<>();
        BackgroundRetry<String> r = start(POLICY, snapshots);
        assertEquals(List.of("succeeded disk0 after 0"), events);
        assertFalse(r.firstAttempt().isDone(), "waits for the snapshots the volume's success started");
        snapshots.complete(null);
        assertTrue(r.firstAttempt().isDone());
    }

    @Test
    void anAttemptThatThrowsIsAFailure() {
        script.add(() -> {
            throw new IllegalStateException("bug");
        });
        start(POLICY, CompletableFuture.completedFuture(null));
        assertEquals(List.of("failed: IllegalStateException"), events);
    }

    @Test
    void backoffDoublesUpToTheCapAndThePolicyChecksItsValues() {
        OpenRetryPolicy p = OpenRetryPolicy.DEFAULT;
        assertEquals(SECOND, p.backoffNanos(1));
        assertEquals(32 * SECOND, p.backoffNanos(6));
        assertEquals(60 * SECOND, p.backoffNanos(7));
        assertEquals(60 * SECOND, p.backoffNanos(Integer.MAX_VALUE));
        assertEquals("maxBackoff must be at least initialBackoff. maxBackoff=PT0.5S", assertThrows(IllegalArgumentException.class,
                () -> new OpenRetryPolicy(Duration.ofSeconds(1), Duration.ofMillis(500), Duration.ZERO)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> new OpenRetryPolicy(Duration.ZERO, Duration.ofSeconds(1), Duration.ZERO));
    }
}
