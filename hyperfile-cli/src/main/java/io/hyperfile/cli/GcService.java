package io.hyperfile.cli;

import io.hyperfile.core.gc.GarbageCollector;
import io.hyperfile.core.gc.GcConfig;
import io.hyperfile.core.gc.GcPassReport;
import io.hyperfile.core.store.Exceptions;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.store.RetryScheduler;
import io.hyperfile.core.volume.Volume;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Background garbage collection of the volumes {@code serve} writes (docs/GC.md, "Scheduling and limits"). Each
 * volume {@link #add added} gets a pass one {@link GcConfig#interval} after it is added and then one interval after
 * its previous pass ended. Passes of all volumes run one after another, never two at once: a pass that falls due
 * while another runs waits for it. Each pass's summary is logged at INFO, one line starting with the volume's name;
 * a failed pass is logged at WARN with its reason, and the volume's next pass still comes one interval later.
 * {@link #stop} cancels what is scheduled and waits (boundedly) for a pass that is running, so that the volumes can
 * be closed after it.
 *
 * <p>Timing comes from an injected {@link RetryScheduler} (the timer; also used by the passes to pace their reads), so
 * that tests fire the ticks themselves; {@link #onOwnThread} gives the production service, one daemon thread
 * {@code hf-gc} for every volume. Passes themselves are chains of futures on store and volume threads; the timer
 * thread only starts them.
 *
 * <p>Thread-safe: {@link #add} and {@link #stop} may be called from any thread.
 */
final class GcService {
    private static final Logger LOG = LoggerFactory.getLogger(GcService.class);
    /** How long {@link #stop} waits for a running pass before it lets the volumes close anyway. */
    static final Duration STOP_WAIT = Duration.ofSeconds(30);

    /** One volume's next pass. */
    @FunctionalInterface
    interface Pass {
        CompletableFuture<GcPassReport> run();
    }

    private final GcConfig config;
    private final Clock clock;
    private final RetryScheduler timer;
    private final Runnable onStopped;
    private final GcStats stats = new GcStats();

    /** Guarded by this, as are the next two. */
    private final List<RetryScheduler.Cancellable> scheduled = new ArrayList<>();
    /** Completes when the last pass started or queued so far has ended: the next pass chains onto it. */
    private CompletableFuture<Void> tail = CompletableFuture.completedFuture(null);
    private boolean stopped;
    /** The volumes collected, each with the pass last {@link #add added} for it; guarded by this. */
    private final Map<String, Pass> volumes = new HashMap<>();

    /**
     * A service whose passes use {@code config}, read time from {@code clock} (for the grace period) and are timed by
     * {@code timer}; {@code config == null} gives a service that is off: {@link #add} does nothing.
     */
    GcService(GcConfig config, Clock clock, RetryScheduler timer) {
        this(config, clock, timer, () -> {
        });
    }

    private GcService(GcConfig config, Clock clock, RetryScheduler timer, Runnable onStopped) {
        this.config = config;
        this.clock = Objects.requireNonNull(clock, "clock");
        this.timer = Objects.requireNonNull(timer, "timer");
        this.onStopped = onStopped;
    }

    /** The production service: the real clock and one daemon thread {@code hf-gc}, ended by {@link #stop}. */
    static GcService onOwnThread(GcConfig config) {
        if (config == null) {
            return disabled();
        }
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "hf-gc");
            t.setDaemon(true);
            return t;
        });
        executor.setRemoveOnCancelPolicy(true);
        return new GcService(config, Clock.systemUTC(), timerOn(executor), executor::shutdownNow);
    }

    /** A service that is off ({@code --gc off}): it schedules nothing. */
    static GcService disabled() {
        return new GcService(null, Clock.systemUTC(), RetryScheduler.system());
    }

    boolean isEnabled() {
        return config != null;
    }

    /** What the passes did so far, per volume (for the metrics endpoint). */
    GcStats stats() {
        return stats;
    }

    /** Collects the garbage of {@code volume}, stored under {@code prefix} of {@code store}, from one interval on. */
    void add(ObjectStore store, String prefix, Volume volume) {
        if (!isEnabled()) {
            return;
        }
        GarbageCollector gc = new GarbageCollector(store, prefix, volume, config, clock, timer);
        add(volume.name(), () -> gc.runPass(false, line -> LOG.debug("{}: gc: {}", volume.name(), line)));
    }

    /** Runs {@code pass} for volume {@code name} every interval (package-private: tests give their own passes). */
    void add(String name, Pass pass) {
        if (isEnabled()) {
            synchronized (this) {
                volumes.put(name, pass);
            }
            schedule(name, pass);
        }
    }

    /**
     * Collects volume {@code name} no more (it was withdrawn): its next pass does not start. A pass that is running
     * runs to its end (it fails, harmlessly, if its volume closes under it).
     */
    synchronized void remove(String name) {
        volumes.remove(name);
    }

    /**
     * Cancels every pass not started yet. The future completes once a pass that is running has ended, or after
     * {@link #STOP_WAIT} at the latest (it never fails); no pass starts after this call.
     */
    CompletableFuture<Void> stop() {
        CompletableFuture<Void> running;
        synchronized (this) {
            if (stopped) {
                return tail;
            }
            stopped = true;
            scheduled.forEach(RetryScheduler.Cancellable::cancel);
            scheduled.clear();
            running = tail;
        }
        if (running.isDone()) {
            onStopped.run();
            return running;
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        RetryScheduler.Cancellable wait = timer.scheduleCancellable(() -> {
            if (done.complete(null)) {
                LOG.warn("a gc pass is still running after {}; the volumes close anyway (the pass then fails, harmlessly)",
                        Durations.format(STOP_WAIT));
            }
        }, STOP_WAIT.toNanos());
        running.whenComplete((v, e) -> {
            wait.cancel();
            done.complete(null);
        });
        return done.whenComplete((v, e) -> onStopped.run());
    }

    private synchronized void schedule(String name, Pass pass) {
        if (stopped || volumes.get(name) != pass) {
            return;
        }
        RetryScheduler.Cancellable[] self = new RetryScheduler.Cancellable[1];
        self[0] = timer.scheduleCancellable(() -> due(name, pass, self[0]), config.interval().toNanos());
        scheduled.add(self[0]);
    }

    /** On the timer: queues the pass behind the one running, if any. */
    private void due(String name, Pass pass, RetryScheduler.Cancellable handle) {
        CompletableFuture<Void> previous;
        CompletableFuture<Void> ended = new CompletableFuture<>();
        synchronized (this) {
            scheduled.remove(handle);
            if (stopped || volumes.get(name) != pass) {
                return;
            }
            previous = tail;
            tail = ended;
        }
        // Started outside the lock; run(...) never fails, so neither does the chain.
        previous.thenCompose(v -> run(name, pass)).whenComplete((v, e) -> ended.complete(null));
    }

    private CompletableFuture<Void> run(String name, Pass pass) {
        synchronized (this) {
            if (stopped || volumes.get(name) != pass) {
                return CompletableFuture.completedFuture(null);
            }
        }
        CompletableFuture<GcPassReport> f = start(pass::run);
        return f.handle((report, failure) -> {
            stats.record(name, report, failure);
            if (failure == null && report.skipped() != null && report.skipped().startsWith("nothing changed")) {
                LOG.debug("{}: gc pass: {}", name, report.summary()); // idle: every interval while nothing is written
            } else if (failure == null) {
                LOG.info("{}: gc pass: {}", name, report.summary());
                if (!report.tableDifferences().isEmpty()) {
                    LOG.warn("{}: gc: the incremental live table disagreed with the walk in {} segments (the walk decides)",
                            name, report.tableDifferences().size());
                }
            } else {
                Throwable cause = Exceptions.unwrap(failure);
                LOG.warn("{}: gc pass failed: {}; next pass in {}", name, Hyperfile.describe(cause),
                        Durations.format(config.interval()));
                LOG.debug("{}: gc pass failed", name, cause);
            }
            schedule(name, pass);
            return null;
        });
    }

    private static <T> CompletableFuture<T> start(Supplier<CompletableFuture<T>> s) {
        try {
            return Objects.requireNonNull(s.get(), "pass");
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** A {@link RetryScheduler} on {@code executor}'s thread, with cancellable tasks removed from its queue. */
    private static RetryScheduler timerOn(ScheduledThreadPoolExecutor executor) {
        return new RetryScheduler() {
            @Override
            public long nanoTime() {
                return System.nanoTime();
            }

            @Override
            public void schedule(Runnable task, long delayNanos) {
                executor.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
            }

            @Override
            public Cancellable scheduleCancellable(Runnable task, long delayNanos) {
                ScheduledFuture<?> f = executor.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
                return () -> f.cancel(false);
            }
        };
    }
}
