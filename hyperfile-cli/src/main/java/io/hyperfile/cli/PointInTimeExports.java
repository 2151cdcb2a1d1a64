package io.hyperfile.cli;

import io.hyperfile.core.checkpoint.CheckpointRef;
import io.hyperfile.core.store.Exceptions;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.store.RetryScheduler;
import io.hyperfile.core.volume.Volume;
import io.hyperfile.core.volume.VolumeBlockDevice;
import io.hyperfile.core.volume.VolumeConfig;
import io.hyperfile.nbd.export.Export;
import io.hyperfile.nbd.export.ExportRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import java.util.function.ToIntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The point-in-time exports of {@code serve} (docs/POINT-IN-TIME.md): a client that asks for {@code VOLUME@seq:N} or
 * {@code VOLUME@time:T}, where {@code VOLUME} is served, gets that checkpoint opened read-only on demand
 * ({@link ExportRegistry.OnDemand}) under exactly the name it asked for. At most {@code maxOpen} are open at once
 * (when full, one without connections is closed to make room, else the client is told to try later); one without a
 * connection for {@code idle} is withdrawn and closed by {@link #sweep}. A name whose checkpoint does not exist gets
 * the unknown-export error with the reason. Thread-safe: state under this object's lock, volumes closed outside it.
 */
final class PointInTimeExports implements ExportRegistry.OnDemand {
    private static final Logger LOG = LoggerFactory.getLogger(PointInTimeExports.class);

    /** How many may be open at once (0: none are served) and after how long without connections one is closed. */
    record Settings(int maxOpen, Duration idle) {
    }

    private record Open(Volume volume, String volumeName, long[] lastBusyNanos) {
    }

    private final ObjectStore store;
    private final VolumeConfig config;
    private final ExportRegistry registry;
    private final Predicate<String> served;
    private final ToIntFunction<String> connections;
    private final Settings settings;
    private final LongSupplier nanoTime;
    private final Map<String, CompletableFuture<Optional<String>>> opening = new HashMap<>();
    private final Map<String, Open> open = new LinkedHashMap<>();
    private boolean closed;

    /**
     * @param served      whether a volume is served (only those have point-in-time exports)
     * @param connections connections in transmission on an export, by name
     */
    PointInTimeExports(ObjectStore store, VolumeConfig config, ExportRegistry registry, Predicate<String> served,
            ToIntFunction<String> connections, Settings settings, LongSupplier nanoTime) {
        this.store = store;
        this.config = config;
        this.registry = registry;
        this.served = served;
        this.connections = connections;
        this.settings = settings;
        this.nanoTime = nanoTime;
    }

    /** Registers with the registry and sweeps idle exports on {@code scheduler} every quarter of the idle time (at least 1 s). */
    PointInTimeExports start(RetryScheduler scheduler) {
        registry.onDemand(this);
        scheduleSweep(scheduler, Math.max(1_000_000_000L, settings.idle().toNanos() / 4));
        return this;
    }

    private void scheduleSweep(RetryScheduler scheduler, long periodNanos) {
        scheduler.schedule(() -> {
            synchronized (this) {
                if (closed) {
                    return;
                }
            }
            try {
                sweep();
            } catch (RuntimeException e) {
                LOG.warn("point-in-time exports: sweep failed: {}", e.toString());
            }
            scheduleSweep(scheduler, periodNanos);
        }, periodNanos);
    }

    @Override
    public Optional<CompletableFuture<Optional<String>>> open(String name) {
        CheckpointRef ref;
        try {
            ref = CheckpointRef.parse(name);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        if ((ref.kind() != CheckpointRef.Kind.SEQ && ref.kind() != CheckpointRef.Kind.TIME) || !served.test(ref.volume())) {
            return Optional.empty();
        }
        List<Open> evicted = new ArrayList<>();
        CompletableFuture<Optional<String>> result;
        synchronized (this) {
            if (closed || settings.maxOpen() == 0) {
                return Optional.of(CompletableFuture.completedFuture(Optional.of(closed ? "the server is shutting down"
                        : "this server serves no point-in-time exports (--pit-max-open 0)")));
            }
            result = opening.get(name);
            if (result == null) {
                if (open.size() + opening.size() >= settings.maxOpen()) {
                    evictOneIdle(evicted);
                }
                if (open.size() + opening.size() >= settings.maxOpen()) {
                    result = CompletableFuture.completedFuture(Optional.of("the server has its maximum of " + settings.maxOpen()
                            + " point-in-time exports open (--pit-max-open), all in use; try again later"));
                } else {
                    result = new CompletableFuture<>();
                    opening.put(name, result);
                    CompletableFuture<Optional<String>> done = result;
                    ref.resolve(store).thenCompose(seq -> Volume.openReadOnlyAt(store, ref.prefix(), name, config, seq)
                                    .thenApply(v -> Map.entry(seq, v)))
                            .whenComplete((sv, e) -> done.complete(opened(name, ref, sv == null ? null : sv.getValue(),
                                    sv == null ? 0 : sv.getKey(), e)));
                }
            }
        }
        evicted.forEach(o -> VolumeEnds.close(o.volume()));
        return Optional.of(result);
    }

    /** Registers what opened, or says why not; empty when the export is in the registry. */
    private Optional<String> opened(String name, CheckpointRef ref, Volume v, long seq, Throwable e) {
        synchronized (this) {
            opening.remove(name);
            if (e == null && !closed) {
                registry.add(new Export(name, new VolumeBlockDevice(v), true, "checkpoint " + seq + " of " + ref.volume()
                        + " (read-only)"));
                open.put(name, new Open(v, ref.volume(), new long[] {nanoTime.getAsLong()}));
                LOG.info("{}: serving checkpoint {} read-only", name, seq);
                return Optional.empty();
            }
        }
        if (e == null) {
            VolumeEnds.close(v);
            return Optional.of("the server is shutting down");
        }
        String why = Hyperfile.describe(Exceptions.unwrap(e));
        LOG.info("{}: cannot serve: {}", name, why);
        return Optional.of(why);
    }

    /** Under the lock: withdraws the export without connections that was busy longest ago, if any. */
    private void evictOneIdle(List<Open> evicted) {
        String oldest = null;
        for (Map.Entry<String, Open> e : open.entrySet()) {
            if (connections.applyAsInt(e.getKey()) == 0
                    && (oldest == null || e.getValue().lastBusyNanos()[0] < open.get(oldest).lastBusyNanos()[0])) {
                oldest = e.getKey();
            }
        }
        if (oldest != null) {
            evicted.add(withdraw(oldest, "to make room for another"));
        }
    }

    private Open withdraw(String name, String why) {
        registry.remove(name);
        LOG.info("{}: no longer served: {}", name, why);
        return open.remove(name);
    }

    /**
     * Withdraws and closes the exports without a connection for the idle time, and those whose volume is no longer
     * served; returns their names.
     */
    List<String> sweep() {
        long now = nanoTime.getAsLong();
        List<String> names = new ArrayList<>();
        List<Open> toClose = new ArrayList<>();
        synchronized (this) {
            for (String name : new ArrayList<>(open.keySet())) {
                Open o = open.get(name);
                if (!served.test(o.volumeName())) {
                    toClose.add(withdraw(name, "volume " + o.volumeName() + " is no longer served"));
                    names.add(name);
                } else if (connections.applyAsInt(name) > 0) {
                    o.lastBusyNanos()[0] = now;
                } else if (now - o.lastBusyNanos()[0] >= settings.idle().toNanos()) {
                    toClose.add(withdraw(name, "no connection for " + Durations.format(settings.idle())));
                    names.add(name);
                }
            }
        }
        toClose.forEach(o -> VolumeEnds.close(o.volume()));
        return names;
    }

    /** The point-in-time exports open now, by name. */
    synchronized List<String> names() {
        return new ArrayList<>(open.keySet());
    }

    /** Withdraws and closes every one (the server stopped); later requests are refused. */
    void close() {
        List<Open> toClose = new ArrayList<>();
        synchronized (this) {
            closed = true;
            for (String name : new ArrayList<>(open.keySet())) {
                toClose.add(withdraw(name, "the server is shutting down"));
            }
        }
        toClose.forEach(o -> VolumeEnds.close(o.volume()));
    }
}
