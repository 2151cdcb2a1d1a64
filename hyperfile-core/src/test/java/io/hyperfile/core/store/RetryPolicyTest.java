package io.hyperfile.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {

    @Test
    void attemptTimeoutIsTheBasePlusThePayloadAtTheMinimumThroughput() {
        RetryPolicy p = RetryPolicy.DEFAULT;
        assertEquals(Duration.ofSeconds(10).toNanos(), p.attemptTimeoutNanos(0));
        assertEquals(Duration.ofSeconds(34).toNanos(), p.attemptTimeoutNanos(24L << 20), "a 24 MiB segment");
        assertEquals(Duration.ofSeconds(10).toNanos() + 500_000_000L, p.attemptTimeoutNanos(512 << 10));
        RetryPolicy slow = p.withAttemptTimeout(Duration.ofSeconds(2), 3);
        assertEquals(Duration.ofSeconds(2).toNanos() + 333_333_333L, slow.attemptTimeoutNanos(1));
        assertEquals(Long.MAX_VALUE, slow.attemptTimeoutNanos(Long.MAX_VALUE), "saturates instead of overflowing");
        assertEquals(Long.MAX_VALUE, p.withAttemptTimeout(Duration.ofDays(100_000_000), 1).attemptTimeoutNanos(Long.MAX_VALUE / 2));
    }

    @Test
    void badValuesAreRejectedWithTheirName() {
        Duration s = Duration.ofSeconds(1);
        assertEquals("attemptTimeout must be positive. attemptTimeout=PT0S", assertThrows(IllegalArgumentException.class,
                () -> RetryPolicy.DEFAULT.withAttemptTimeout(Duration.ZERO, 1)).getMessage());
        assertEquals("minThroughputBytesPerSecond must be positive. minThroughputBytesPerSecond=0",
                assertThrows(IllegalArgumentException.class, () -> RetryPolicy.DEFAULT.withAttemptTimeout(s, 0)).getMessage());
        assertEquals("requestBytes must be non-negative. requestBytes=-1",
                assertThrows(IllegalArgumentException.class, () -> RetryPolicy.DEFAULT.attemptTimeoutNanos(-1)).getMessage());
        assertEquals("deadline must be non-negative. deadline=PT-1S",
                assertThrows(IllegalArgumentException.class, () -> RetryPolicy.DEFAULT.withDeadline(s.negated())).getMessage());
    }
}
