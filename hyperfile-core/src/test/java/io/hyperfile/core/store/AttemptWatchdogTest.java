package io.hyperfile.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Attempt timeouts without a timer per attempt: exact deadlines, cancellation, and few scheduler tasks. */
class AttemptWatchdogTest {
    private static final long S = 1_000_000_000L;

    @Test
    void eachAttemptTimesOutAtItsOwnDeadlineEvenIfAnEarlierOneComesLater() {
        VirtualScheduler time = new VirtualScheduler();
        AttemptWatchdog dog = new AttemptWatchdog(time);
        List<String> fired = new ArrayList<>();
        long t0 = time.nanoTime();
        dog.watch(34 * S, () -> fired.add("put@" + (time.nanoTime() - t0) / S));
        dog.watch(10 * S, () -> fired.add("get@" + (time.nanoTime() - t0) / S));
        RetryScheduler.Cancellable cancelled = dog.watch(5 * S, () -> fired.add("cancelled"));
        cancelled.cancel();
        time.runUntilIdle();
        assertEquals(List.of("get@10", "put@34"), fired);
    }

    @Test
    void manyShortAttemptsCostOneSchedulerTaskNotOneEach() {
        VirtualScheduler time = new VirtualScheduler();
        AttemptWatchdog dog = new AttemptWatchdog(time);
        List<String> fired = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            dog.watch(10 * S, () -> fired.add("late")).cancel(); // answered in time
        }
        assertEquals(1, time.pending(), "one sweep armed for all of them");
        time.runUntilIdle();
        assertEquals(List.of(), fired);
        assertEquals(0, time.pending());
    }
}
