package io.hyperfile.core.volume;

import io.hyperfile.core.CorruptionException;
import io.hyperfile.core.store.Exceptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The volume's health state and the one place that decides what a failure means (see {@link HealthState} for the
 * transitions). Every job of the volume reports its failures here and does what the verdict says: {@link
 * Verdict#RETRY} (the failure can pass: keep the data, fail the waiting flushes with EIO, try again later) or
 * {@link Verdict#STOP} (corruption, another writer, closed: the job stops). Only proven corruption makes a
 * volume read-only; only another writer's segment fences it; nothing else stops it.
 *
 * <p>Not thread-safe: called under the volume's lock, except {@link #state()}, which any thread may read.
 */
final class VolumeHealth {
    private static final Logger LOG = LoggerFactory.getLogger(VolumeHealth.class);

    enum Verdict { RETRY, STOP }

    /** Side effects of stopping (READ_ONLY, FENCED, CLOSED): fail whatever waits for writes to be stored. */
    interface StopListener {
        void stopped(HealthState state, RuntimeException reason);
    }

    private final String name;
    private final StopListener listener;
    private volatile HealthState state;
    private RuntimeException refusal;
    private volatile long failures; // written under the lock, read by stats() from any thread

    VolumeHealth(String name, StopListener listener) {
        this.name = name;
        this.listener = listener;
        this.state = HealthState.OPEN;
    }

    HealthState state() {
        return state;
    }

    /** Failures reported since open (transient ones included). */
    long failures() {
        return failures;
    }

    /**
     * The decision: what {@code failure}, met while doing {@code what}, means for the volume. Corruption switches
     * it to read-only, a fence stops it, and everything else (throttling, server errors, timeouts, I/O errors, out of
     * memory, a missing object that should be there) is retried.
     */
    Verdict onFailure(String what, Throwable failure) {
        Throwable cause = Exceptions.unwrap(failure);
        failures++;
        if (state == HealthState.CLOSED || state == HealthState.FENCED) {
            return Verdict.STOP;
        }
        if (cause instanceof VolumeFencedException fenced) {
            fence(fenced);
            return Verdict.STOP;
        }
        if (cause instanceof CorruptionException) {
            readOnly(what, cause);
            return Verdict.STOP;
        }
        if (state == HealthState.OPEN) {
            LOG.warn("volume {}: {} failed, will retry (data stays buffered; flushes fail with EIO until it succeeds): {}",
                    name, what, cause.toString());
            state = HealthState.DEGRADED;
        } else {
            LOG.debug("volume {}: {} failed again: {}", name, what, cause.toString());
        }
        return Verdict.RETRY;
    }

    /** Store work succeeded: a degraded volume is healthy again. */
    void onSuccess() {
        if (state == HealthState.DEGRADED) {
            LOG.info("volume {}: the store answers again; volume healthy", name);
            state = HealthState.OPEN;
        }
    }

    /** A snapshot view: read-only from the start. */
    void startReadOnly(String why) {
        state = HealthState.READ_ONLY;
        refusal = new ReadOnlyVolumeException(why, null);
    }

    /** Corruption was met reading: switch to read-only (Xodus-style: first the state, then the caller throws). */
    void onCorruptRead(Throwable cause) {
        if (state.acceptsWrites()) {
            readOnly("a read", cause);
        }
    }

    private void readOnly(String what, Throwable cause) {
        if (!state.acceptsWrites()) {
            return;
        }
        RuntimeException reason = new ReadOnlyVolumeException("volume " + name + " switched to read-only after "
                + what + " met corruption: " + cause.getMessage(), cause);
        LOG.error(reason.getMessage(), cause);
        enter(HealthState.READ_ONLY, reason);
    }

    private void fence(VolumeFencedException reason) {
        LOG.error(reason.getMessage());
        enter(HealthState.FENCED, reason);
    }

    void close(RuntimeException reason) {
        if (state != HealthState.CLOSED) {
            enter(HealthState.CLOSED, reason);
        }
    }

    private void enter(HealthState next, RuntimeException reason) {
        state = next;
        refusal = reason;
        listener.stopped(next, reason);
    }

    /** Why a write is refused now, or null if writes are accepted. */
    RuntimeException writeRefusal() {
        return state.acceptsWrites() ? null : refusal;
    }

    /** Why a read is refused now, or null if reads are accepted. */
    RuntimeException readRefusal() {
        return state.acceptsReads() ? null : refusal;
    }

    void checkWritable() {
        RuntimeException r = writeRefusal();
        if (r != null) {
            throw r;
        }
    }

    void checkReadable() {
        RuntimeException r = readRefusal();
        if (r != null) {
            throw r;
        }
    }

    boolean isStopped() {
        return state == HealthState.FENCED || state == HealthState.CLOSED;
    }
}
