package io.hyperfile.nbd.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class InFlightLimiterTest {
    @Test
    void pausesAboveHighAndResumesAtOrBelowLowOnBytes() {
        InFlightLimiter l = new InFlightLimiter(100, 50, 64, 32);
        assertFalse(l.acquire(32));
        assertFalse(l.acquire(32));
        assertTrue(l.acquire(32), "96 > 64");
        assertFalse(l.acquire(32), "already paused");
        assertTrue(l.isPaused());
        assertFalse(l.release(32));
        assertFalse(l.release(32), "64 > 32");
        assertTrue(l.release(32), "32 <= 32");
        assertFalse(l.isPaused());
        assertEquals(1, l.requests());
        assertEquals(32, l.bytes());
    }

    @Test
    void releasesSeveralRequestsAtOnce() {
        InFlightLimiter l = new InFlightLimiter(3, 1, 1 << 20, 1 << 19);
        for (int i = 0; i < 4; i++) {
            l.acquire(100);
        }
        assertTrue(l.isPaused());
        assertFalse(l.release(2, 200), "2 left is above the low watermark of 1");
        assertTrue(l.release(2, 200));
        assertEquals(0, l.requests());
        assertEquals(0, l.bytes());
        assertThrows(IllegalStateException.class, () -> l.release(1, 0));
    }

    @Test
    void pausesOnRequestCountToo() {
        InFlightLimiter l = new InFlightLimiter(3, 1, 1 << 20, 1 << 19);
        assertFalse(l.acquire(0));
        assertFalse(l.acquire(0));
        assertFalse(l.acquire(0));
        assertTrue(l.acquire(0));
        assertFalse(l.release(0));
        assertFalse(l.release(0));
        assertTrue(l.release(0));
    }

    @Test
    void rejectsBadWatermarksAndOverRelease() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new InFlightLimiter(10, 10, 64, 32));
        assertEquals("resume watermarks must be below the maximums. requests 10/10, bytes 32/64", e.getMessage());
        InFlightLimiter l = new InFlightLimiter(10, 5, 64, 32);
        IllegalStateException s = assertThrows(IllegalStateException.class, () -> l.release(1));
        assertEquals("released more than acquired: requests=-1, bytes=-1", s.getMessage());
    }
}
