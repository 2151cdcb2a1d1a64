package io.hyperfile.cli;

import io.hyperfile.core.lease.Leases;
import io.hyperfile.core.lease.VolumeLease;
import io.hyperfile.core.segment.SegmentKeys;
import io.hyperfile.core.store.Exceptions;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.store.RetryScheduler;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leases {@code serve} keeps on the volumes it serves for writing (docs/SERVING.md): {@link #hold} writes
 * {@code P/lease} naming this server, renews it every renewal period and {@link #release} deletes it. A renewal first
 * checks that the volume's descriptor is still there; if it is not (someone deleted the volume), it writes nothing,
 * stops renewing and tells {@code onDeleted}, so that a lease never brings a deleted volume's prefix back. A renewal
 * that fails (store down) logs one WARN and the next one comes a period later; one INFO line says when renewals work
 * again.
 *
 * <p>Time: the lease's stamps come from the injected {@link Clock}, the renewal timer from the injected
 * {@link RetryScheduler}, so that tests drive both. Thread-safe.
 */
final class LeaseKeeper {
    private static final Logger LOG = LoggerFactory.getLogger(LeaseKeeper.class);
    /** How often a served volume's lease is renewed. */
    static final Duration RENEW_PERIOD = Duration.ofSeconds(30);

    private final ObjectStore store;
    private final Clock clock;
    private final RetryScheduler timer;
    private final Duration period;
    private final boolean enabled;
    /** Who is told of a held volume that a renewal found deleted. */
    private volatile Function<String, CompletableFuture<Void>> onDeleted = name -> CompletableFuture.completedFuture(null);
    /** This server's lease template: holder and start time; guarded by this, as are the next two. */
    private VolumeLease template;
    private final Map<String, Held> held = new HashMap<>();
    private boolean closed;

    /** One volume's lease: whether this server still writes the volume, and the pending renewal. */
    private static final class Held {
        final BooleanSupplier isWriter;
        RetryScheduler.Cancellable next;
        boolean failing;
        /** The write of the lease in flight, if any: a release waits for it, so that it cannot land after the delete. */
        CompletableFuture<Boolean> writing = CompletableFuture.completedFuture(true);

        Held(BooleanSupplier isWriter) {
            this.isWriter = isWriter;
        }
    }

    /**
     * A keeper writing leases into {@code store} that name this process (host, pid) serving on
     * {@code listenAddress}, renewed every {@code period}.
     */
    LeaseKeeper(ObjectStore store, Clock clock, RetryScheduler timer, Duration period, String listenAddress) {
        this(store, clock, timer, period, listenAddress, true);
    }

    private LeaseKeeper(ObjectStore store, Clock clock, RetryScheduler timer, Duration period, String listenAddress,
            boolean enabled) {
        this.store = store;
        this.clock = clock;
        this.timer = timer;
        this.period = period;
        this.enabled = enabled;
        this.template = new VolumeLease(UUID.randomUUID(), enabled ? hostName() : "", ProcessHandle.current().pid(), listenAddress,
                clock.millis(), clock.millis(), Math.toIntExact(period.toMillis()));
    }

    /** A keeper that holds nothing: {@link #hold} writes no lease (tests that do not look at leases). */
    static LeaseKeeper disabled() {
        return new LeaseKeeper(null, Clock.systemUTC(), RetryScheduler.system(), RENEW_PERIOD, "", false);
    }

    /**
     * Tells {@code listener} the name of each held volume whose descriptor a renewal found gone (on a store or timer
     * thread, once per volume; the lease is then no longer held). The renewal is done when the listener's future is.
     */
    void onDeleted(Function<String, CompletableFuture<Void>> listener) {
        onDeleted = listener;
    }

    /**
     * Names the address the server listens on (known once it listens) in the leases: rewrites those held now, and
     * every renewal from now on. The future completes when they are rewritten; it never fails.
     */
    CompletableFuture<Void> listeningOn(String address) {
        List<String> names;
        synchronized (this) {
            template = template.withListenAddress(address);
            names = new ArrayList<>(held.keySet());
        }
        return CompletableFuture.allOf(names.stream().map(name -> write(name).handle((written, e) ->
                e == null && !written ? deleted(name) : CompletableFuture.<Void>completedFuture(null)).thenCompose(f -> f))
                .toArray(CompletableFuture[]::new));
    }

    /**
     * Renews every lease held now, as the timer would (tests use it to observe a renewal's effects). The future
     * completes when the renewals, and what they set off, are done.
     */
    CompletableFuture<Void> renewAll() {
        List<String> names;
        synchronized (this) {
            names = new ArrayList<>(held.keySet());
        }
        return CompletableFuture.allOf(names.stream().map(this::renew).toArray(CompletableFuture[]::new));
    }

    /** Writes the lease of volume {@code name} now and renews it every period until {@link #release}. */
    CompletableFuture<Void> hold(String name) {
        return hold(name, () -> true);
    }

    /**
     * As {@link #hold(String)}, renewing only while {@code isWriter} says this server still writes the volume: once
     * it does not (fenced by another writer, which then holds the lease), renewals stop and the lease is left alone.
     */
    CompletableFuture<Void> hold(String name, BooleanSupplier isWriter) {
        synchronized (this) {
            if (!enabled || closed || held.containsKey(name)) {
                return CompletableFuture.completedFuture(null);
            }
            held.put(name, new Held(isWriter));
        }
        return renew(name);
    }

    /** Whether the lease of {@code name} is held (being renewed). */
    synchronized boolean isHeld(String name) {
        return held.containsKey(name);
    }

    /**
     * Stops renewing the lease of {@code name} and deletes it if it is still this server's (another holder's lease,
     * written after this server was fenced, say, is left alone). The future never fails (a failure is logged).
     */
    CompletableFuture<Void> release(String name) {
        if (!enabled) {
            return CompletableFuture.completedFuture(null);
        }
        UUID self;
        CompletableFuture<Boolean> writing;
        synchronized (this) {
            Held h = held.remove(name);
            if (h != null && h.next != null) {
                h.next.cancel();
            }
            writing = h == null ? CompletableFuture.completedFuture(true) : h.writing;
            self = template.holderId();
        }
        return writing.handle((w, e) -> null).thenCompose(x -> Leases.read(store, prefix(name)))
                .exceptionally(e -> Optional.empty()).thenCompose(lease -> {
            if (lease.isPresent() && !lease.get().holderId().equals(self)) {
                LOG.info("{}: the lease is held by another server ({}); left alone", name, lease.get().holder());
                return CompletableFuture.<Void>completedFuture(null);
            }
            return Leases.delete(store, prefix(name));
        }).exceptionally(e -> {
            LOG.warn("{}: the lease {} could not be deleted: {}; it goes stale in {}", name, Leases.key(prefix(name)),
                    Hyperfile.describe(Exceptions.unwrap(e)), Durations.format(period.multipliedBy(VolumeLease.STALE_PERIODS)));
            return null;
        });
    }

    /** Stops renewing and deletes every lease held (after the volumes are closed, on a clean shutdown). */
    CompletableFuture<Void> releaseAll() {
        List<String> names;
        synchronized (this) {
            closed = true;
            names = new ArrayList<>(held.keySet());
        }
        return CompletableFuture.allOf(names.stream().map(this::release).toArray(CompletableFuture[]::new));
    }

    /**
     * Writes the lease of {@code name}, stamped now, if the volume's descriptor is still there: true if written,
     * false if the volume is gone (or the lease no longer held).
     */
    private CompletableFuture<Boolean> write(String name) {
        String prefix = prefix(name);
        VolumeLease lease;
        synchronized (this) {
            Held h = held.get(name);
            if (h == null) {
                return CompletableFuture.completedFuture(true);
            }
            if (!h.isWriter.getAsBoolean()) {
                held.remove(name);
                LOG.info("{}: this server no longer writes the volume (closed, or fenced by another writer); its lease is"
                        + " no longer renewed", name);
                return CompletableFuture.completedFuture(true);
            }
            lease = template.renewedAt(clock.millis());
            CompletableFuture<Boolean> writing = h.writing.handle((w, e) -> null)
                    .thenCompose(x -> store.head(SegmentKeys.descriptor(prefix)))
                    .thenCompose(descriptor -> descriptor == null
                            ? CompletableFuture.completedFuture(false)
                            : Leases.write(store, prefix, lease).thenApply(v -> true));
            h.writing = writing;
            return writing;
        }
    }

    /** Renews {@code name} now and schedules its next renewal (or tells that the volume is gone). */
    private CompletableFuture<Void> renew(String name) {
        String prefix = prefix(name);
        return write(name).handle((written, e) -> {
            if (e == null && !written) {
                return deleted(name);
            }
            Held h;
            synchronized (this) {
                h = held.get(name);
                if (h == null) {
                    return CompletableFuture.<Void>completedFuture(null); // released meanwhile
                }
                if (h.next != null) {
                    h.next.cancel(); // renewAll came before the timer
                }
                if (e != null && !h.failing) {
                    LOG.warn("{}: renewing the lease {} failed: {}; retrying every {}", name, Leases.key(prefix),
                            Hyperfile.describe(Exceptions.unwrap(e)), Durations.format(period));
                } else if (e == null && h.failing) {
                    LOG.info("{}: the lease is renewed again", name);
                }
                h.failing = e != null;
                h.next = timer.scheduleCancellable(() -> renew(name), period.toNanos());
            }
            return CompletableFuture.<Void>completedFuture(null);
        }).thenCompose(f -> f);
    }

    private CompletableFuture<Void> deleted(String name) {
        synchronized (this) {
            if (held.remove(name) == null) {
                return CompletableFuture.completedFuture(null);
            }
        }
        LOG.info("{}: the volume descriptor is gone (the volume was deleted); its lease is no longer renewed", name);
        return onDeleted.apply(name);
    }

    private static String prefix(String name) {
        return name + "/";
    }

    /** This host's name as leases record it. */
    static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            String env = System.getenv("HOSTNAME");
            return env == null ? "unknown" : env;
        }
    }
}
