package io.hyperfile.cli;

import io.hyperfile.core.checkpoint.Snapshots;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.store.RetryScheduler;
import io.hyperfile.core.volume.Volume;
import io.hyperfile.core.volume.VolumeBlockDevice;
import io.hyperfile.core.volume.VolumeCatalog;
import io.hyperfile.core.volume.VolumeConfig;
import io.hyperfile.nbd.export.Export;
import io.hyperfile.nbd.export.ExportRegistry;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
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
    private final PrintWriter out;
    private final PrintWriter err;

    /** Guarded by this, as are the next three. */
    private final Map<String, Status> status = new LinkedHashMap<>();
    private final List<Volume> opened = new ArrayList<>();
    private final List<BackgroundRetry<?>> retries = new ArrayList<>();
    private final Map<String, Volume> served = new LinkedHashMap<>();
    private boolean closed;
    private volatile Consumer<Volume> onServed = v -> { };

    VolumeExports(ObjectStore store, VolumeConfig config, ExportRegistry exports, OpenRetryPolicy policy,
            RetryScheduler scheduler, GcService gc, PrintWriter out, PrintWriter err) {
        this.store = store;
        this.catalog = new VolumeCatalog(store);
        this.config = config;
        this.exports = exports;
        this.policy = policy;
        this.scheduler = scheduler;
        this.gc = gc;
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
            first.add(retry(() -> catalog.open(name, config), new OpenListener<Volume>("volume " + name, name, v -> v) {
                @Override
                void serve(Volume v) {
                    onServed.accept(v);
                    exports.add(Export.of(name, new VolumeBlockDevice(v)));
                    served.put(name, v);
                    status.put(name, Status.SERVED);
                    gc.add(store, name + "/", v);
                }

                @Override
                CompletableFuture<Void> afterServing(Volume v) {
                    return openSnapshots(name);
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

    /** The volumes served (not the snapshots), by name, in the order they opened. */
    synchronized Map<String, Volume> servedVolumes() {
        return new LinkedHashMap<>(served);
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
            retries.forEach(BackgroundRetry::cancel);
            toClose = new ArrayList<>(opened);
            opened.clear();
        }
        return gc.stop().thenCompose(x -> CompletableFuture.allOf(toClose.stream().map(v -> v.close().exceptionally(e -> {
            LOG.error("volume {} could not be flushed on shutdown: {}", v.name(), e.toString());
            return null;
        })).toArray(CompletableFuture[]::new)));
    }

    private CompletableFuture<Void> openSnapshots(String volume) {
        return retry(() -> Snapshots.names(store, volume + "/"), new OpenListener<List<String>>("the snapshots of " + volume, null, null) {
            @Override
            void serve(List<String> names) {
            }

            @Override
            CompletableFuture<Void> afterServing(List<String> names) {
                return CompletableFuture.allOf(names.stream().map(n -> openSnapshot(volume, n)).toArray(CompletableFuture[]::new));
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
                retries.add(r);
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

        void retrying() {
        }

        void failed() {
        }

        /** Closes the volume of a value that is not wanted (opened after its attempt timed out). */
        void discard(T value) {
            if (volumeOf != null) {
                closeQuietly(volumeOf.apply(value));
            }
        }

        @Override
        public CompletableFuture<Void> succeeded(T value, int failures) {
            synchronized (VolumeExports.this) {
                if (closed) {
                    discard(value);
                    return CompletableFuture.completedFuture(null);
                }
                if (volumeOf != null) {
                    opened.add(volumeOf.apply(value));
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
                if (closed) {
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
                if (closed) {
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

    private void closeQuietly(Volume v) {
        v.close().whenComplete((x, e) -> {
            if (e != null) {
                LOG.warn("volume {} opened after the server stopped could not be closed: {}", v.name(), e.toString());
            }
        });
    }
}
