package io.hyperfile.cli;

import io.hyperfile.core.CorruptionException;
import io.hyperfile.core.checkpoint.Snapshots;
import io.hyperfile.core.store.Exceptions;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.store.RetryScheduler;
import io.hyperfile.core.volume.ResizeRequest;
import io.hyperfile.core.volume.Volume;
import io.hyperfile.core.volume.VolumeCatalog;
import io.hyperfile.core.volume.VolumeResizer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the exports of {@code serve} in step with the store (docs/SERVING.md): a rescan lists the catalog and
 * <ul>
 *   <li>opens each volume that appeared (every volume when serve was started without names; otherwise only the
 *       volumes named), exactly as a volume that opened late after a transient failure;</li>
 *   <li>withdraws each served volume whose descriptor is gone ({@link VolumeExports#withdrawVolume}), after checking
 *       it once more with a HEAD, so that a short or wrong listing never withdraws a volume;</li>
 *   <li>forgets a volume that failed permanently and is gone, so that one created later by that name opens;</li>
 *   <li>for each served volume, opens the snapshots that appeared and withdraws those deleted;</li>
 *   <li>for each volume served for writing, applies a pending grow request {@code NAME/resize} written by
 *       {@code volume resize} and deletes it (docs/RESIZE.md).</li>
 * </ul>
 * Each change is logged at INFO, one line. A rescan whose listing fails changes nothing and logs one WARN (then
 * nothing more until a rescan succeeds, which logs one INFO line).
 *
 * <p>Rescans run one at a time on the injected {@link Executor} (they block on store requests there), every
 * {@code interval} on the injected {@link RetryScheduler} (none when it is zero) and at once on {@link #trigger()}
 * (SIGHUP); a trigger while one is queued is merged into it. Thread-safe.
 */
final class ExportRescan {
    private static final Logger LOG = LoggerFactory.getLogger(ExportRescan.class);
    /** Longest a rescan waits for one store request or for a new volume's first open attempt. */
    static final Duration STEP_TIMEOUT = Duration.ofMinutes(2);

    /**
     * What one rescan changed: export names added and withdrawn, and one line per resize request it handled (applied,
     * or deleted without applying it).
     */
    record Changes(List<String> added, List<String> withdrawn, List<String> resizes, boolean failed) {
        static final Changes FAILED = new Changes(List.of(), List.of(), List.of(), true);

        String summary() {
            if (failed) {
                return "the store could not be listed; nothing changed";
            }
            List<String> parts = new ArrayList<>();
            if (!added.isEmpty()) {
                parts.add("now serving " + String.join(", ", added));
            }
            if (!withdrawn.isEmpty()) {
                parts.add("no longer serving " + String.join(", ", withdrawn));
            }
            parts.addAll(resizes);
            return parts.isEmpty() ? "no change" : String.join("; ", parts);
        }
    }

    private final ObjectStore store;
    private final VolumeCatalog catalog;
    private final VolumeExports exports;
    private final List<String> named;
    private final Duration interval;
    private final RetryScheduler timer;
    private final Executor executor;
    private final AtomicBoolean queued = new AtomicBoolean();
    /** Ends the executor, if it is this rescan's own. */
    private Runnable onStop = () -> {
    };
    /** Guarded by this. */
    private RetryScheduler.Cancellable next;
    private boolean stopped;
    /** Whether the last rescan failed (only the first failure of a streak is logged at WARN); rescan thread only. */
    private boolean failing;

    /**
     * A rescan of {@code store} for {@code exports}; {@code named} are the volumes serve was started with (empty:
     * every volume of the store).
     */
    ExportRescan(ObjectStore store, VolumeExports exports, List<String> named, Duration interval, RetryScheduler timer,
            Executor executor) {
        this.store = store;
        this.catalog = new VolumeCatalog(store);
        this.exports = exports;
        this.named = List.copyOf(named);
        this.interval = interval;
        this.timer = timer;
        this.executor = executor;
    }

    /** A rescan on its own daemon thread {@code hf-rescan}, which {@link #stop()} ends. */
    static ExportRescan onOwnThread(ObjectStore store, VolumeExports exports, List<String> named, Duration interval,
            RetryScheduler timer) {
        ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "hf-rescan");
            t.setDaemon(true);
            return t;
        });
        ExportRescan rescan = new ExportRescan(store, exports, named, interval, timer, executor);
        rescan.onStop = executor::shutdown;
        return rescan;
    }

    /** Starts the periodic rescans (none when the interval is zero). */
    synchronized void start() {
        if (!interval.isZero() && !stopped) {
            next = timer.scheduleCancellable(this::periodic, interval.toNanos());
        }
    }

    /** Stops the periodic rescans; one running finishes, none starts after. */
    void stop() {
        synchronized (this) {
            stopped = true;
            if (next != null) {
                next.cancel();
            }
        }
        onStop.run();
    }

    /**
     * Rescans as soon as the rescan thread is free (SIGHUP), then tells {@code done} what changed; merged into a
     * rescan already queued and not started; ignored once {@link #stop()} was called.
     */
    void trigger(Consumer<Changes> done) {
        synchronized (this) {
            if (stopped) {
                return; // serve is shutting down
            }
        }
        if (queued.compareAndSet(false, true)) {
            submit().thenAccept(done);
        }
    }

    /** Queues one rescan; the future completes with what it changed (never exceptionally). */
    CompletableFuture<Changes> rescanNow() {
        queued.set(true);
        return submit();
    }

    private CompletableFuture<Changes> submit() {
        CompletableFuture<Changes> result = new CompletableFuture<>();
        try {
            executor.execute(() -> {
                queued.set(false);
                result.complete(rescanOnce());
            });
        } catch (RuntimeException e) { // the executor was shut down: serve is stopping
            result.complete(Changes.FAILED);
        }
        return result;
    }

    private void periodic() {
        submit().whenComplete((c, e) -> {
            synchronized (this) {
                if (!stopped) {
                    next = timer.scheduleCancellable(this::periodic, interval.toNanos());
                }
            }
        });
    }

    /** One rescan, on the rescan thread. */
    private Changes rescanOnce() {
        synchronized (this) {
            if (stopped) {
                return Changes.FAILED;
            }
        }
        VolumeCatalog.Scan scan;
        try {
            scan = await(catalog.scan());
        } catch (Exception e) {
            if (!failing) {
                LOG.warn("rescan: listing the store failed: {}; nothing changed (next rescan: {})", describe(e),
                        interval.isZero() ? "on SIGHUP" : "in " + Durations.format(interval));
            }
            failing = true;
            return Changes.FAILED;
        }
        if (failing) {
            LOG.info("rescan: the store can be listed again");
            failing = false;
        }
        List<String> added = new ArrayList<>();
        List<String> withdrawn = new ArrayList<>();
        Set<String> present = new HashSet<>(scan.volumes());
        Map<String, VolumeExports.Status> known = exports.statuses();
        for (Map.Entry<String, VolumeExports.Status> e : known.entrySet()) {
            String name = e.getKey();
            if (present.contains(name) || scan.incomplete().contains(name) && e.getValue() == VolumeExports.Status.FAILED) {
                continue;
            }
            if (e.getValue() == VolumeExports.Status.FAILED) {
                exports.forget(name);
            } else if (isGone(name)) {
                join(exports.withdrawVolume(name, "the volume was deleted"));
                withdrawn.add(name);
            }
        }
        List<String> fresh = new ArrayList<>();
        for (String name : named.isEmpty() ? scan.volumes() : named) {
            if (present.contains(name) && !exports.statuses().containsKey(name)) {
                fresh.add(name);
            }
        }
        if (!fresh.isEmpty()) {
            join(exports.open(fresh));
            Map<String, VolumeExports.Status> now = exports.statuses();
            for (String name : fresh) {
                VolumeExports.Status s = now.get(name);
                LOG.info("rescan: new volume {}: {}", name, s == VolumeExports.Status.SERVED ? "now served"
                        : "not served yet (" + (s == null ? "withdrawn" : s.toString().toLowerCase()) + ")");
                if (s == VolumeExports.Status.SERVED) {
                    added.add(name);
                    exports.snapshots(name).stream().filter(snap -> exports.isServed(name + "@" + snap))
                            .forEach(snap -> added.add(name + "@" + snap));
                }
            }
        }
        for (String name : exports.volumes(VolumeExports.Status.SERVED)) {
            if (!fresh.contains(name)) {
                rescanSnapshots(name, added, withdrawn);
            }
        }
        List<String> resizes = new ArrayList<>();
        exports.servedVolumes().forEach((name, volume) -> applyResizeRequest(name, volume).ifPresent(resizes::add));
        return new Changes(List.copyOf(added), List.copyOf(withdrawn), List.copyOf(resizes), false);
    }

    /** Whether volume {@code name}'s descriptor is gone, asked directly (a listing alone never withdraws a volume). */
    private boolean isGone(String name) {
        try {
            return !await(catalog.exists(name));
        } catch (Exception e) {
            LOG.warn("rescan: volume {} is missing from the listing, but checking it failed: {}; it stays served", name, describe(e));
            return false;
        }
    }

    private void rescanSnapshots(String volume, List<String> added, List<String> withdrawn) {
        List<String> names;
        try {
            names = await(Snapshots.names(store, volume + "/"));
        } catch (Exception e) {
            LOG.warn("rescan: listing the snapshots of {} failed: {}; they stay as they are", volume, describe(e));
            return;
        }
        Set<String> known = exports.snapshots(volume);
        for (String snap : known) {
            if (!names.contains(snap)) {
                join(exports.withdrawSnapshot(volume, snap));
                withdrawn.add(volume + "@" + snap);
            }
        }
        for (String snap : names) {
            if (!known.contains(snap)) {
                join(exports.addSnapshot(volume, snap));
                boolean served = exports.isServed(volume + "@" + snap);
                LOG.info("rescan: new snapshot {}@{}: {}", volume, snap, served ? "now served" : "not served yet (see above)");
                if (served) {
                    added.add(volume + "@" + snap);
                }
            }
        }
    }

    /**
     * Grows served volume {@code name} as its pending request {@code NAME/resize} asks, if the volume still has the size
     * the request was made from, then deletes the request, and says what it did in one line (empty: no request, or
     * one left for the next rescan). A request that cannot apply (stale, a shrink, not a request) is deleted with a
     * WARN; one that failed for a passing reason stays for the next rescan. A read-only view leaves it alone. One GET
     * per volume served for writing.
     */
    private Optional<String> applyResizeRequest(String name, Volume volume) {
        if (volume.isSnapshotView()) {
            return Optional.empty();
        }
        String prefix = name + "/";
        ResizeRequest r;
        String done;
        try {
            Optional<ResizeRequest> pending = await(ResizeRequest.read(store, prefix));
            if (pending.isEmpty()) {
                return Optional.empty();
            }
            r = pending.get();
        } catch (CorruptionException e) {
            done = "deleted the unreadable resize request of " + name + " (" + e.getMessage() + ")";
            LOG.warn("rescan: {}", done);
            return deleteRequest(name, done);
        } catch (Exception e) {
            LOG.warn("rescan: reading the resize request of {} failed: {}; trying again at the next rescan", name, describe(e));
            return Optional.empty();
        }
        long size = volume.sizeBytes();
        if (r.toSizeBytes() == size) {
            done = "the resize request of " + name + " to " + size + " bytes was already applied; deleted it";
            LOG.info("rescan: {}", done);
        } else if (r.fromSizeBytes() != size || r.toSizeBytes() < size) {
            done = "deleted the resize request of " + name + " from " + r.fromSizeBytes() + " to " + r.toSizeBytes()
                    + " bytes without applying it: the volume has " + size + " bytes";
            LOG.warn("rescan: {}", done);
        } else {
            try {
                await(VolumeResizer.grow(volume, r.toSizeBytes()));
                done = "grew volume " + name + " from " + size + " to " + r.toSizeBytes() + " bytes as asked";
                LOG.info("rescan: {}; NBD clients see the new size when they reconnect", done);
            } catch (IllegalArgumentException e) {
                done = "deleted the resize request of " + name + " without applying it: " + e.getMessage();
                LOG.warn("rescan: {}", done);
            } catch (Exception e) {
                LOG.warn("rescan: growing volume {} to {} bytes failed: {}; trying again at the next rescan", name,
                        r.toSizeBytes(), describe(e));
                return Optional.empty();
            }
        }
        return deleteRequest(name, done);
    }

    private Optional<String> deleteRequest(String name, String done) {
        try {
            await(ResizeRequest.delete(store, name + "/"));
        } catch (Exception e) {
            LOG.warn("rescan: deleting the resize request of {} failed: {}; it is handled again at the next rescan", name,
                    describe(e));
        }
        return Optional.of(done);
    }

    private static <T> T await(CompletableFuture<T> f) throws Exception {
        try {
            return f.get(STEP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception x ? x : e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw e;
        }
    }

    private static void join(CompletableFuture<?> f) {
        try {
            await(f);
        } catch (TimeoutException e) {
            LOG.warn("rescan: a step did not finish within {}; it goes on in the background", Durations.format(STEP_TIMEOUT));
        } catch (Exception e) {
            LOG.warn("rescan: a step failed: {}", describe(e));
        }
    }

    private static String describe(Exception e) {
        return Hyperfile.describe(Exceptions.unwrap(e));
    }
}
