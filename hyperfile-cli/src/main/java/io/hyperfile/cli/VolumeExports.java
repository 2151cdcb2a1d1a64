package io.hyperfile.cli;

import io.hyperfile.core.checkpoint.Snapshots;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.store.RetryScheduler;
import io.hyperfile.core.volume.HealthState;
import io.hyperfile.core.volume.Volume;
import io.hyperfile.core.volume.VolumeBlockDevice;
import io.hyperfile.core.volume.VolumeCatalog;
import io.hyperfile.core.volume.VolumeConfig;
import io.hyperfile.nbd.export.Export;
import io.hyperfile.nbd.export.ExportRegistry;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The exports of {@code hyperfile serve}: opens the named volumes, all at once, and the snapshots of each volume
 * that opens ({@code VOLUME@SNAPSHOT}, read-only), and adds each to the {@link ExportRegistry} as it opens. One that
 * cannot be opened is reported with one line on {@code err} ({@code hyperfile: cannot serve volume NAME: REASON})
 * and does not keep the others from being served. One whose failure was transient ({@link OpenFailures}) is retried
 * in the background with backoff ({@link BackgroundRetry}) until it opens or {@link #close()} is called; meanwhile
 * its name is marked unavailable in the registry, so that an NBD client asking for it is told it is not available
 * yet. Permanent failures are not retried. A snapshot that fails does not affect its volume, nor the reverse.
 * Each volume served (not the snapshots, which are read-only) is handed to the {@link GcService}, which
 * {@link #close()} stops before it closes the volumes.
 *
 * <p>Thread-safe: opens complete on store and volume threads, retries start on the scheduler's thread. The volumes
 * opened are owned here and closed by {@link #close()}.
 */
final class VolumeExports {
    private static final Logger LOG = LoggerFactory.getLogger(VolumeExports.class);

    /** Where a volume stands. */
    enum Status { OPENING, SERVED, RETRYING, FAILED }

    private record SnapshotView(Volume volume, long seq) {
    }

    private final ObjectStore store;
    private final VolumeCatalog catalog;
    private final VolumeConfig config;
    private final ExportRegistry exports;
    private final OpenRetryPolicy policy;
    private final RetryScheduler scheduler;
    private final GcService gc;
    private final LeaseKeeper leases;
    private final PrintWriter out;
    private final PrintWriter err;
    private final Predicate<String> readOnly;

    /** Guarded by this, as are the next four. */
    private final Map<String, Status> status = new LinkedHashMap<>();
    /** The volumes opened, by export name ({@code NAME} or {@code NAME@SNAP}). */
    private final Map<String, Volume> opened = new LinkedHashMap<>();
    /** The background retries, by what they open ("volume NAME", "snapshot NAME@SNAP", "the snapshots of NAME"). */
    private final Map<String, BackgroundRetry<?>> retries = new HashMap<>();
    /** Per volume, the snapshots being opened, retried, served or failed: each is opened once. */
    private final Map<String, Set<String>> snapshotsOf = new HashMap<>();
    private boolean closed;
    private volatile Consumer<Volume> onServed = v -> { };

    VolumeExports(ObjectStore store, VolumeConfig config, ExportRegistry exports, OpenRetryPolicy policy,
            RetryScheduler scheduler, GcService gc, PrintWriter out, PrintWriter err) {
        this(store, config, exports, policy, scheduler, gc, LeaseKeeper.disabled(), out, err, name -> false);
    }

    VolumeExports(ObjectStore store, VolumeConfig config, ExportRegistry exports, OpenRetryPolicy policy,
            RetryScheduler scheduler, GcService gc, LeaseKeeper leases, PrintWriter out, PrintWriter err) {
        this(store, config, exports, policy, scheduler, gc, leases, out, err, name -> false);
    }

    /**
     * Exports with {@code leases} holding a lease on each volume served for writing (docs/SERVING.md; a volume whose
     * renewal finds it deleted is {@link #withdrawVolume withdrawn}), and serving the volumes {@code readOnly}
     * accepts read-only: each is opened as a read-only view of its newest checkpoint
     * ({@link VolumeCatalog#openNewestReadOnly}), which writes nothing (no claim), so it never fences a writer
     * elsewhere; it does not follow that writer's later checkpoints, and gets no garbage collection or lease.
     */
    VolumeExports(ObjectStore store, VolumeConfig config, ExportRegistry exports, OpenRetryPolicy policy,
            RetryScheduler scheduler, GcService gc, LeaseKeeper leases, PrintWriter out, PrintWriter err,
            Predicate<String> readOnly) {
        this.readOnly = readOnly;
        this.store = store;
        this.catalog = new VolumeCatalog(store);
        this.config = config;
        this.exports = exports;
        this.policy = policy;
        this.scheduler = scheduler;
        this.gc = gc;
        this.leases = leases;
        leases.onDeleted(name -> withdrawVolume(name, "the volume was deleted"));
        this.out = out;
        this.err = err;
    }

    /**
     * Starts opening {@code names}, all at once. The future completes when each volume's first attempt has settled
     * (served, failed, or waiting to be retried) together with the snapshots of those that opened at once.
     */
    CompletableFuture<Void> open(List<String> names) {
        List<CompletableFuture<Void>> first = new ArrayList<>();
        for (String name : names) {
            synchronized (this) {
                status.put(name, Status.OPENING);
                exports.markUnavailable(name, "export '" + name + "' is not available yet: the server is still opening it");
            }
            boolean viewOnly = readOnly.test(name);
            Supplier<CompletableFuture<Volume>> opening = viewOnly ? () -> catalog.openNewestReadOnly(name, config)
                    : () -> catalog.open(name, config);
            first.add(retry(opening, new OpenListener<Volume>("volume " + name, name, v -> v) {
                @Override
                void serve(Volume v) {
                    onServed.accept(v);
                    if (viewOnly) {
                        exports.add(new Export(name, new VolumeBlockDevice(v), true, "read-only"));
                    } else {
                        exports.add(Export.of(name, new VolumeBlockDevice(v)));
                        gc.add(store, name + "/", v);
                        leases.hold(name, () -> v.health() != HealthState.FENCED && v.health() != HealthState.CLOSED);
                    }
                    status.put(name, Status.SERVED);
                }

                @Override
                CompletableFuture<Void> afterServing(Volume v) {
                    return openSnapshots(name);
                }

                @Override
                boolean isWanted() {
                    return status.containsKey(name);
                }

                @Override
                void retrying() {
                    status.put(name, Status.RETRYING);
                }

                @Override
                void failed() {
                    status.put(name, Status.FAILED);
                }
            }));
        }
        return CompletableFuture.allOf(first.toArray(CompletableFuture[]::new));
    }

    /** Reports {@code name}, a half-deleted volume found in the store, as one that cannot be served. */
    synchronized void reportIncomplete(String name) {
        status.put(name, Status.FAILED);
        exports.markUnavailable(name, "export '" + name + "' cannot be served: it is a half-deleted volume");
        err.println("hyperfile: cannot serve volume " + name + ": it has data but no volume descriptor " + name
                + "/volume (a half-deleted volume); finish deleting it with: hyperfile volume delete " + name);
    }

    /** Every volume named to {@link #open} or reported, with where it stands, in that order. */
    synchronized Map<String, Status> statuses() {
        return new LinkedHashMap<>(status);
    }

    /**
     * Tells {@code listener} about each volume (not snapshot) just before it is served; under this object's lock, so it
     * must be quick. Set it before {@link #open}.
     */
    void onServed(Consumer<Volume> listener) {
        this.onServed = listener;
    }

    /**
     * The volumes served (not the snapshots), by name, in name order (volumes open concurrently, so the order they
     * opened in differs from run to run; a rescan reports its changes in this order).
     */
    synchronized Map<String, Volume> servedVolumes() {
        Map<String, Volume> volumes = new java.util.TreeMap<>();
        opened.forEach((exportName, v) -> {
            if (exportName.indexOf('@') < 0) {
                volumes.put(exportName, v);
            }
        });
        return volumes;
    }

    /** The volumes with status {@code s}, in the order they were named. */
    synchronized List<String> volumes(Status s) {
        return status.entrySet().stream().filter(e -> e.getValue() == s).map(Map.Entry::getKey).toList();
    }

    /** Whether no volume is served and none may be later: every one failed permanently. */
    synchronized boolean nothingToServe() {
        return status.values().stream().allMatch(s -> s == Status.FAILED);
    }

    /**
     * Stops retrying, stops garbage collection (waiting for a pass that is running, see {@link GcService#stop}), then
     * closes (flushing) every volume opened; a volume whose open completes later is closed then. The future
     * completes when all are closed (a volume whose flush fails is logged and counted as closed).
     */
    CompletableFuture<Void> close() {
        List<Volume> toClose;
        synchronized (this) {
            closed = true;
            retries.values().forEach(BackgroundRetry::cancel);
            toClose = new ArrayList<>(opened.values());
            opened.clear();
        }
        return gc.stop().thenCompose(x -> CompletableFuture.allOf(toClose.stream().map(v -> v.close().exceptionally(e -> {
            LOG.error("volume {} could not be flushed on shutdown: {}", v.name(), e.toString());
            return null;
        })).toArray(CompletableFuture[]::new))).thenCompose(x -> leases.releaseAll());
    }

    /** The registry the exports are added to. */
    ExportRegistry registry() {
        return exports;
    }

    /** Whether export {@code exportName} ({@code NAME} or {@code NAME@SNAP}) opened and is served. */
    synchronized boolean isServed(String exportName) {
        return opened.containsKey(exportName);
    }

    /** The snapshots of {@code volume} being opened, retried, served or failed. */
    synchronized Set<String> snapshots(String volume) {
        return new TreeSet<>(snapshotsOf.getOrDefault(volume, Set.of()));
    }

    /**
     * Starts opening snapshot {@code snapshot} of {@code volume}, a volume that is served, unless it is known already.
     * The future completes when the first attempt has settled.
     */
    CompletableFuture<Void> addSnapshot(String volume, String snapshot) {
        return claimSnapshot(volume, snapshot) ? openSnapshot(volume, snapshot) : CompletableFuture.completedFuture(null);
    }

    /**
     * Withdraws volume {@code name} ({@code why}: "the volume was deleted"): removes it and its snapshots from the
     * registry (new clients are told {@code why}), stops its garbage collection and its retries, aborts the volume
     * (it writes nothing more: buffered writes are dropped, since the volume is gone) and closes its snapshots, then
     * releases its lease. Connections that had it open get ESHUTDOWN on their next request. Does nothing for a name
     * that is not known. The future completes when all that is done; it never fails.
     */
    CompletableFuture<Void> withdrawVolume(String name, String why) {
        Volume v;
        List<Volume> snapshotViews = new ArrayList<>();
        synchronized (this) {
            if (closed || status.remove(name) == null) {
                return CompletableFuture.completedFuture(null);
            }
            exports.remove(name);
            exports.markUnavailable(name, "export '" + name + "' is no longer served: " + why);
            v = opened.remove(name);
            cancelRetry("volume " + name);
            cancelRetry("the snapshots of " + name);
            for (String snapshot : snapshotsOf.getOrDefault(name, Set.of())) {
                Volume view = forgetSnapshot(name, snapshot, why);
                if (view != null) {
                    snapshotViews.add(view);
                }
            }
            snapshotsOf.remove(name);
        }
        LOG.info("{}: no longer served: {}", name, why);
        gc.remove(name);
        snapshotViews.forEach(VolumeEnds::close);
        if (v == null) {
            return leases.release(name);
        }
        return VolumeEnds.abort(v).thenCompose(x -> leases.release(name));
    }

    /**
     * Withdraws snapshot {@code snapshot} of {@code volume} (it was deleted): removes its export (new clients are told
     * so) and closes its read-only view; connections that had it open get ESHUTDOWN on their next request.
     */
    CompletableFuture<Void> withdrawSnapshot(String volume, String snapshot) {
        Volume view;
        synchronized (this) {
            Set<String> known = snapshotsOf.get(volume);
            if (closed || known == null || !known.remove(snapshot)) {
                return CompletableFuture.completedFuture(null);
            }
            view = forgetSnapshot(volume, snapshot, "the snapshot was deleted");
        }
        LOG.info("{}@{}: no longer served: the snapshot was deleted", volume, snapshot);
        return view == null ? CompletableFuture.completedFuture(null) : view.close().exceptionally(e -> null);
    }

    /** Forgets volume {@code name}, which failed and is gone from the store, so that a new one by that name opens. */
    synchronized void forget(String name) {
        if (status.get(name) == Status.FAILED) {
            status.remove(name);
            exports.clearUnavailable(name);
        }
    }

    /** Under the lock: removes one snapshot export and its retry; returns its view to close, if it opened. */
    private Volume forgetSnapshot(String volume, String snapshot, String why) {
        String exportName = volume + "@" + snapshot;
        exports.remove(exportName);
        exports.markUnavailable(exportName, "export '" + exportName + "' is no longer served: " + why);
        cancelRetry("snapshot " + exportName);
        return opened.remove(exportName);
    }

    private void cancelRetry(String what) {
        BackgroundRetry<?> r = retries.remove(what);
        if (r != null) {
            r.cancel();
        }
    }

    private synchronized boolean claimSnapshot(String volume, String snapshot) {
        return !closed && status.get(volume) == Status.SERVED && snapshotsOf.computeIfAbsent(volume, k -> new TreeSet<>()).add(snapshot);
    }

    private CompletableFuture<Void> openSnapshots(String volume) {
        return retry(() -> Snapshots.names(store, volume + "/"), new OpenListener<List<String>>("the snapshots of " + volume, null, null) {
            @Override
            void serve(List<String> names) {
            }

            @Override
            boolean isWanted() {
                return status.get(volume) == Status.SERVED;
            }

            @Override
            CompletableFuture<Void> afterServing(List<String> names) {
                return CompletableFuture.allOf(names.stream().map(n -> addSnapshot(volume, n)).toArray(CompletableFuture[]::new));
            }
        });
    }

    private CompletableFuture<Void> openSnapshot(String volume, String snapshot) {
        String prefix = volume + "/";
        String exportName = volume + "@" + snapshot;
        exports.markUnavailable(exportName, "export '" + exportName + "' is not available yet: the server is still opening it");
        Supplier<CompletableFuture<SnapshotView>> attempt = () -> Snapshots.resolve(store, prefix, snapshot)
                .thenCompose(seq -> Volume.openReadOnlyAt(store, prefix, exportName, config, seq).thenApply(v -> new SnapshotView(v, seq)));
        return retry(attempt, new OpenListener<SnapshotView>("snapshot " + exportName, exportName, SnapshotView::volume) {
            @Override
            boolean isWanted() {
                return snapshotsOf.getOrDefault(volume, Set.of()).contains(snapshot);
            }

            @Override
            void serve(SnapshotView s) {
                exports.add(new Export(exportName, new VolumeBlockDevice(s.volume()), true, "snapshot " + snapshot + " of " + volume + " (checkpoint "
                        + s.seq() + ", read-only)"));
            }
        });
    }

    /** Starts a background retry of {@code attempt} reporting to {@code listener}; returns its first attempt. */
    private <T> CompletableFuture<Void> retry(Supplier<CompletableFuture<T>> attempt, OpenListener<T> listener) {
        BackgroundRetry<T> r = BackgroundRetry.start(attempt, OpenFailures::isTransient, policy, scheduler, listener::discard, listener);
        synchronized (this) {
            if (closed) {
                r.cancel();
            } else {
                retries.put(listener.what, r);
            }
        }
        return r.firstAttempt();
    }

    /**
     * Reports what became of one thing being opened ({@code what}: "volume NAME", "snapshot NAME@SNAP", "the
     * snapshots of NAME"): the first transient failure and a permanent one with a line on {@code err}, later
     * transient ones in the log. For an export ({@code exportName} non-null) it keeps the name's unavailable mark in
     * the registry up to date. Subclasses add what opened to the registry and keep statuses; their hooks other than
     * {@link #afterServing} run under the lock of the enclosing {@link VolumeExports}, and none runs once it is closed.
     */
    private abstract class OpenListener<T> implements BackgroundRetry.Listener<T> {
        private final String what;
        private final String exportName;
        /** The volume a value holds (to own and close it), or null if values are not volumes. */
        private final Function<T, Volume> volumeOf;

        OpenListener(String what, String exportName, Function<T, Volume> volumeOf) {
            this.what = what;
            this.exportName = exportName;
            this.volumeOf = volumeOf;
        }

        /** Adds what opened to the registry. */
        abstract void serve(T value);

        /** What to open next once {@code value} is served; part of the first attempt when it succeeded at once. */
        CompletableFuture<Void> afterServing(T value) {
            return CompletableFuture.completedFuture(null);
        }

        /** Whether what is being opened is still wanted (not withdrawn meanwhile); called under the lock. */
        boolean isWanted() {
            return true;
        }

        void retrying() {
        }

        void failed() {
        }

        /** Closes the volume of a value that is not wanted (opened after its attempt timed out). */
        void discard(T value) {
            if (volumeOf != null) {
                VolumeEnds.close(volumeOf.apply(value));
            }
        }

        @Override
        public CompletableFuture<Void> succeeded(T value, int failures) {
            synchronized (VolumeExports.this) {
                if (closed) {
                    discard(value);
                    return CompletableFuture.completedFuture(null);
                }
                if (!isWanted()) { // withdrawn while it opened: write nothing more, not even a hint
                    if (volumeOf != null) {
                        VolumeEnds.abort(volumeOf.apply(value));
                    }
                    return CompletableFuture.completedFuture(null);
                }
                if (volumeOf != null) {
                    opened.put(exportName, volumeOf.apply(value));
                }
                serve(value);
            }
            if (failures > 0) {
                out.println("hyperfile: now serving " + what + " (it opened after " + failures + " failed attempts)");
                out.flush();
            }
            return afterServing(value);
        }

        @Override
        public void willRetry(Throwable failure, int failures, long delayNanos) {
            String reason = OpenFailures.describe(exportName, failure);
            synchronized (VolumeExports.this) {
                if (closed || !isWanted()) {
                    return;
                }
                retrying();
                if (exportName != null) {
                    exports.markUnavailable(exportName, "export '" + exportName + "' is not available yet: opening it failed ("
                            + reason + "); the server retries");
                }
            }
            if (failures == 1) {
                err.println("hyperfile: cannot serve " + what + " yet: " + reason + "; retrying in the background");
                err.flush();
            } else {
                LOG.info("{}: attempt {} failed ({}); next attempt in {} ms", what, failures, reason,
                        TimeUnit.NANOSECONDS.toMillis(delayNanos));
            }
            LOG.debug("{}: attempt {} failed", what, failures, failure);
        }

        @Override
        public void failed(Throwable failure) {
            String reason = OpenFailures.describe(exportName, failure);
            synchronized (VolumeExports.this) {
                if (closed || !isWanted()) {
                    return;
                }
                failed();
                if (exportName != null) {
                    exports.markUnavailable(exportName, "export '" + exportName + "' cannot be served: " + reason);
                }
            }
            err.println("hyperfile: cannot serve " + what + ": " + reason);
            err.flush();
            LOG.debug("{} cannot be served", what, failure);
        }
    }
}
