package io.hyperfile.nbd.server;

import java.util.Collection;
import java.util.Collections;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * What an {@link NbdServer} counts when it is given one: connections accepted, and per export the requests, bytes,
 * requests in flight, connections and request durations ({@link ExportStats}). The figures are plain
 * {@link LongAdder}s, cheap on the event loop (no lock, no allocation per request); whoever exports them (the CLI's
 * Prometheus endpoint) reads them when asked, and is told each request's duration through the
 * {@link LatencyObservers} it supplied. A server without an {@code NbdStats} counts nothing and reads no clock.
 *
 * <p>Thread-safe.
 */
public final class NbdStats {
    /** Told the duration of each request of one export and op; called on event loops: no blocking, no allocation. */
    @FunctionalInterface
    public interface LatencyObserver {
        LatencyObserver NONE = nanos -> { };

        void observe(long nanos);
    }

    /**
     * Supplies the {@link LatencyObserver} of an export and op (label as in {@link ExportStats#OPS}), on the first
     * request of that op; rarely more than once per pair, so it should return the same observer for the same pair.
     */
    @FunctionalInterface
    public interface LatencyObservers {
        LatencyObservers NONE = (export, op) -> LatencyObserver.NONE;

        LatencyObserver forRequests(String export, String op);
    }

    private final LatencyObservers observers;
    private final LongSupplier nanoTime;
    private final LongAdder connectionsAccepted = new LongAdder();
    private final ConcurrentHashMap<String, ExportStats> exports = new ConcurrentHashMap<>();

    /** Counts with durations told to {@code observers}, timed with {@code nanoTime}. */
    public NbdStats(LatencyObservers observers, LongSupplier nanoTime) {
        this.observers = Objects.requireNonNull(observers, "observers");
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
    }

    /** Counts with durations told to {@code observers}, timed with {@link System#nanoTime()}. */
    public NbdStats(LatencyObservers observers) {
        this(observers, System::nanoTime);
    }

    /** TCP connections accepted since start (those that never finished the handshake included). */
    public long connectionsAccepted() {
        return connectionsAccepted.sum();
    }

    /** The figures of every export that has had a connection in transmission, in no particular order. */
    public Collection<ExportStats> exports() {
        return Collections.unmodifiableCollection(exports.values());
    }

    /** The figures of {@code export}, created the first time a connection enters transmission with it. */
    public ExportStats export(String export) {
        return exports.computeIfAbsent(export, name -> new ExportStats(name, observers, nanoTime));
    }

    void accepted() {
        connectionsAccepted.increment();
    }

    long nanoTime() {
        return nanoTime.getAsLong();
    }
}
