package io.hyperfile.nbd.server;

/**
 * Counts one connection's outstanding requests and the bytes they hold, with hysteresis: {@link #isPaused()} turns
 * true when either count goes above its high watermark and false again only when both are at or below their low
 * watermarks. The transmission handler turns auto-read off while paused (and a {@code FlowControlHandler} keeps
 * already-decoded requests back), so a client can never make the server hold more than the high watermark plus one
 * request. Not thread-safe: used only on the connection's event loop.
 */
final class InFlightLimiter {
    private final int maxRequests;
    private final int resumeRequests;
    private final long maxBytes;
    private final long resumeBytes;
    private int requests;
    private long bytes;
    private boolean paused;

    InFlightLimiter(int maxRequests, int resumeRequests, long maxBytes, long resumeBytes) {
        if (resumeRequests >= maxRequests || resumeBytes >= maxBytes || resumeRequests < 0 || resumeBytes < 0) {
            throw new IllegalArgumentException("resume watermarks must be below the maximums. requests "
                    + resumeRequests + "/" + maxRequests + ", bytes " + resumeBytes + "/" + maxBytes);
        }
        this.maxRequests = maxRequests;
        this.resumeRequests = resumeRequests;
        this.maxBytes = maxBytes;
        this.resumeBytes = resumeBytes;
    }

    /** Counts a request holding {@code n} bytes; returns true if this made the limiter pause. */
    boolean acquire(long n) {
        requests++;
        bytes += n;
        if (!paused && (requests > maxRequests || bytes > maxBytes)) {
            paused = true;
            return true;
        }
        return false;
    }

    /** Releases a request holding {@code n} bytes; returns true if this made the limiter resume. */
    boolean release(long n) {
        return release(1, n);
    }

    /** Releases {@code count} requests holding {@code n} bytes together; returns true if this made it resume. */
    boolean release(int count, long n) {
        requests -= count;
        bytes -= n;
        if (requests < 0 || bytes < 0) {
            throw new IllegalStateException("released more than acquired: requests=" + requests + ", bytes=" + bytes);
        }
        if (paused && requests <= resumeRequests && bytes <= resumeBytes) {
            paused = false;
            return true;
        }
        return false;
    }

    boolean isPaused() {
        return paused;
    }

    int requests() {
        return requests;
    }

    long bytes() {
        return bytes;
    }
}
