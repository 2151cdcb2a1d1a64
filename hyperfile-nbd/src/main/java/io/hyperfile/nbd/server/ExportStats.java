package io.hyperfile.nbd.server;

import static io.hyperfile.nbd.protocol.NbdConstants.CMD_BLOCK_STATUS;
import static io.hyperfile.nbd.protocol.NbdConstants.CMD_READ;
import static io.hyperfile.nbd.protocol.NbdConstants.CMD_WRITE;

import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * The request figures of one export, summed over its connections: requests and failed requests per op (the NBD
 * command; unknown commands count as {@code other}), bytes read and written (payloads of READ and WRITE replies that
 * succeeded), requests in flight and connections in transmission now. Each request's duration, from its dispatch to
 * its result being back on the connection's event loop, goes to the op's {@link NbdStats.LatencyObserver}.
 *
 * <p>Thread-safe; updated on event loops with {@link LongAdder}s only.
 */
public final class ExportStats {
    /** The op labels, indexed by NBD command type; the last is for unknown types. DISC is never counted. */
    public static final List<String> OPS = List.of("read", "write", "disc", "flush", "trim", "cache", "write_zeroes",
            "block_status", "other");
    private static final int OTHER = OPS.size() - 1;

    private final String name;
    private final LongAdder[] requests = adders(OPS.size());
    private final LongAdder[] errors = adders(OPS.size());
    private final NbdStats.LatencyObservers observers;
    /**
     * Each op's observer, asked for on its first request (so that ops never used show no series). Written without
     * synchronisation: two event loops may both ask, and get the same observer or equivalent ones.
     */
    private final NbdStats.LatencyObserver[] latency = new NbdStats.LatencyObserver[OPS.size()];
    private final LongAdder bytesRead = new LongAdder();
    private final LongAdder bytesWritten = new LongAdder();
    private final LongAdder inFlight = new LongAdder();
    private final LongAdder connections = new LongAdder();

    private final java.util.function.LongSupplier nanoTime;

    ExportStats(String name, NbdStats.LatencyObservers observers, java.util.function.LongSupplier nanoTime) {
        this.name = name;
        this.nanoTime = nanoTime;
        this.observers = observers;
    }

    public String name() {
        return name;
    }

    /** Requests received with op {@code op} (a label of {@link #OPS}). */
    public long requests(String op) {
        return requests[indexOf(op)].sum();
    }

    /** Requests of op {@code op} answered with an error (rejected ones included). */
    public long errors(String op) {
        return errors[indexOf(op)].sum();
    }

    public long bytesRead() {
        return bytesRead.sum();
    }

    public long bytesWritten() {
        return bytesWritten.sum();
    }

    /** Requests received and not yet answered. */
    public long inFlight() {
        return inFlight.sum();
    }

    /** Connections in transmission with this export now. */
    public long connections() {
        return connections.sum();
    }

    // ---------------------------------------------------------------- updates, from the transmission handler

    long nanoTime() {
        return nanoTime.getAsLong();
    }

    void connected() {
        connections.increment();
    }

    void disconnected() {
        connections.decrement();
    }

    void received(int type) {
        requests[slot(type)].increment();
        inFlight.increment();
    }

    void answered() {
        answered(1);
    }

    /** {@code n} requests answered together. */
    void answered(int n) {
        inFlight.add(-n);
    }

    /** A request rejected before it reached the device (bad request, shutting down). */
    void rejected(int type) {
        errors[slot(type)].increment();
    }

    /** The device answered a request of {@code length} bytes after {@code nanos}; {@code failed} if with an error. */
    void completed(int type, long length, long nanos, boolean failed) {
        int slot = slot(type);
        if (failed) {
            errors[slot].increment();
        } else if (type == CMD_READ) {
            bytesRead.add(length);
        } else if (type == CMD_WRITE) {
            bytesWritten.add(length);
        }
        NbdStats.LatencyObserver observer = latency[slot];
        if (observer == null) {
            observer = observers.forRequests(name, OPS.get(slot));
            latency[slot] = observer;
        }
        observer.observe(nanos);
    }

    private static int slot(int type) {
        return type >= 0 && type <= CMD_BLOCK_STATUS ? type : OTHER;
    }

    private static int indexOf(String op) {
        int i = OPS.indexOf(op);
        if (i < 0) {
            throw new IllegalArgumentException("unknown op '" + op + "'; one of " + OPS);
        }
        return i;
    }

    private static LongAdder[] adders(int n) {
        LongAdder[] a = new LongAdder[n];
        for (int i = 0; i < n; i++) {
            a[i] = new LongAdder();
        }
        return a;
    }
}
