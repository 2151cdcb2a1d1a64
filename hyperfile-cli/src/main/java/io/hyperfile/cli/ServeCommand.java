package io.hyperfile.cli;

import io.hyperfile.core.cache.CacheConfig;
import io.hyperfile.core.cache.CachingObjectStore;
import io.hyperfile.core.crypto.EncryptingObjectStore;
import io.hyperfile.core.gc.GcConfig;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.store.RetryScheduler;
import io.hyperfile.core.volume.VolumeCatalog;
import io.hyperfile.core.volume.VolumeConfig;
import io.hyperfile.core.volume.VolumeOptions;
import io.hyperfile.nbd.access.AccessConfig;
import io.hyperfile.nbd.export.ExportRegistry;
import io.hyperfile.nbd.server.NbdServer;
import io.hyperfile.nbd.server.ServerConfig;
import io.hyperfile.nbd.tls.ServerTls;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code hyperfile serve}: serves volumes over NBD until SIGTERM or SIGINT, then stops accepting, finishes the
 * requests in flight, flushes every volume and exits 0. With no store and no volume given, it serves the embedded
 * default: a local directory {@code ./hyperfile-data} holding volume {@code disk0} (10 GiB, created if absent).
 *
 * <p>Volumes are opened in parallel (see {@link VolumeExports}): one that cannot be opened is reported with one line
 * and the others are served; one whose failure was transient is retried in the background and served once it
 * opens. The server starts unless every volume failed permanently, in which case serve exits 1.
 *
 * <p>{@link AccessOptions} add who may connect ({@code --allow}), connection limits, read-only volumes, the default
 * export and a Unix-domain socket (docs/ACCESS.md).
 *
 * <p>Each writable volume served gets background garbage collection ({@link GcService}, {@link GcOptions}) unless
 * {@code --gc off}; it stops before the volumes close on shutdown.
 */
@Command(name = "serve", mixinStandardHelpOptions = true, description = "Serve volumes over NBD.")
final class ServeCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(ServeCommand.class);
    static final String DEFAULT_VOLUME = "disk0";
    static final long DEFAULT_VOLUME_BYTES = 10L << 30;
    /** Longest serve waits for the first attempts to open the volumes before it starts listening anyway. */
    static final Duration STARTUP_WAIT = Duration.ofSeconds(30);

    @Spec
    CommandSpec spec;
    @Mixin
    StoreOptions store;
    @Mixin
    CacheOptions cache;
    @Mixin
    GcOptions gcOptions;
    @Mixin
    VolumeTuning volumeTuning;
    @Mixin
    AccessOptions access;
    @Mixin
    TlsOptions tlsOptions;
    @Mixin
    RescanOptions rescanOptions;
    @Mixin
    MetricsOptions metricsOptions;
    @Mixin
    PitOptions pitOptions;

    @Option(names = "--memory", paramLabel = "SIZE", defaultValue = "${env:HYPERFILE_MEMORY:-" + MemoryBudget.DEFAULT + "}",
            description = "Memory budget of the server: heap, direct memory and write buffers are sized from it "
                    + "(default ${DEFAULT-VALUE}; env HYPERFILE_MEMORY).")
    String memory;

    static final String DEFAULT_LISTEN = "127.0.0.1:10809";

    @Option(names = "--listen", paramLabel = "HOST:PORT",
            description = "Address to listen on (default " + DEFAULT_LISTEN + ", or none when --socket is given).")
    String listen;

    @Parameters(paramLabel = "VOLUME", arity = "0..*", description = "Volumes to serve (default: every volume of the store).")
    List<String> volumes = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        InetSocketAddress address = parseListen(listen != null ? listen : DEFAULT_LISTEN);
        MemoryBudget budget = new MemoryBudget(Sizes.parse("--memory", memory), "--memory");
        volumes.forEach(VolumeCatalog::checkName);
        access.validate();
        CacheConfig cacheConfig = cache.config(store);
        GcConfig gcConfig = gcOptions.config();
        PointInTimeExports.Settings pit = pitOptions.settings();
        ServerTls tls = tlsOptions.serverTls();
        ServerConfig.Builder server = ServerConfig.builder().bindAddress(address.getHostString()).port(address.getPort())
                .unixSocket(access.socket);
        if (listen == null && access.socket != null) {
            server.noTcp(); // --socket alone: the Unix socket instead of TCP
        }
        ServerConfig serverConfig = server.build();
        LiveServing live = new LiveServing(volumes.stream().distinct().toList(), rescanOptions.interval(), true,
                LeaseKeeper.RENEW_PERIOD, CliClock.clock());
        AtomicReference<Running> started = new AtomicReference<>();
        CountDownLatch stopRequested = new CountDownLatch(1);
        Signals.onTermination(stopRequested::countDown);
        boolean hangup = Signals.onHangup(() -> {
            Running r = started.get();
            if (r == null) {
                LOG.info("SIGHUP ignored: the server is still starting");
            } else {
                r.rescanOnSignal(spec.commandLine().getOut());
            }
        });
        if (!hangup) {
            LOG.warn("SIGHUP cannot be caught in this process (started with it ignored, as nohup does, or with -Xrs): "
                    + "the store is rescanned only every --rescan-interval ({})", rescanOptions.interval().isZero()
                    ? "0: never" : Durations.format(rescanOptions.interval()));
        }
        ServeMetrics metrics = metricsOptions.isEnabled() ? new ServeMetrics(metricsOptions.address()) : null;
        ObjectStore s = store.stack().cache(cacheConfig).stats(metrics == null ? null : metrics.storeStats()).open();
        ObjectStore belowEncryption = s instanceof EncryptingObjectStore e ? e.plain() : s;
        if (metrics != null && belowEncryption instanceof CachingObjectStore cached) {
            metrics.cache(cached);
        }
        Running running;
        GcService gc = GcService.onOwnThread(gcConfig);
        if (metrics != null) {
            metrics.gc(gc.stats());
        }
        try {
            List<String> names = new ArrayList<>(volumes.stream().distinct().toList());
            List<String> incomplete = new ArrayList<>();
            if (names.isEmpty()) {
                VolumeCatalog catalog = new VolumeCatalog(s);
                VolumeCatalog.Scan scan = catalog.scan().join();
                names.addAll(scan.volumes());
                incomplete.addAll(scan.incomplete());
                if (names.isEmpty() && incomplete.isEmpty() && store.isDefaultEmbedded()) {
                    catalog.create(DEFAULT_VOLUME, VolumeOptions.ofSize(DEFAULT_VOLUME_BYTES), Clock.systemUTC()).join();
                    LOG.info("created volume {} ({}) in {}", DEFAULT_VOLUME, Sizes.format(DEFAULT_VOLUME_BYTES), store.store);
                    names.add(DEFAULT_VOLUME);
                }
            }
            if (names.isEmpty() && incomplete.isEmpty()) {
                throw new IllegalStateException("no volumes in " + store.store + "; create one with: hyperfile volume create NAME --size 10G --store " + store.store);
            }
            if (gcConfig != null) {
                LOG.info("garbage collection: a pass every {} per volume, grace {}, rate {}/s, compact below {}",
                        Durations.format(gcConfig.interval()), Durations.format(gcConfig.grace()),
                        gcConfig.rateBytesPerSecond() == 0 ? "unlimited" : Sizes.format(gcConfig.rateBytesPerSecond()),
                        gcConfig.compactBelow());
            }
            AccessConfig accessConfig = access.config(names);
            for (String unknown : access.unknownNames(names, accessConfig)) {
                spec.commandLine().getErr().println("hyperfile: warning: the options name export " + unknown
                        + ", which is not a volume served here");
            }
            VolumeConfig volumeConfig = volumeConfig(budget, cacheConfig != null, names.size() + incomplete.size());
            Serving serving = new Serving(accessConfig, access::isReadOnly, tls, live, metrics);
            running = start(s, names, incomplete, volumeConfig, serverConfig, serving, OpenRetryPolicy.DEFAULT,
                    RetryScheduler.system(), gc, STARTUP_WAIT, spec.commandLine().getOut(), spec.commandLine().getErr());
            running.servePointInTime(s, volumeConfig, pit, RetryScheduler.system());
            started.set(running);
        } catch (Exception e) {
            gc.stop();
            s.close();
            throw e;
        }
        stopRequested.await(); // SIGTERM or SIGINT, possibly while starting: then the stop follows the start
        running.stop();
        return 0;
    }

    /**
     * The volumes' settings: the config file's {@code volume.*} keys ({@link VolumeTuning}), with the write buffer
     * sized from the memory budget unless {@code volume.dirty-limit} says otherwise.
     */
    private VolumeConfig volumeConfig(MemoryBudget budget, boolean cached, int volumeCount) {
        VolumeConfig config = volumeTuning.config(cached, budget.dirtyLimitBytes(volumeCount));
        long heapLimit = Runtime.getRuntime().maxMemory();
        LOG.info("memory budget {}: heap limit {}, write buffer {} per volume{}", Sizes.format(budget.totalBytes()),
                Sizes.format(heapLimit), Sizes.format(config.dirtyLimitBytes()), heapLimit > budget.heapBytes() + (16 << 20)
                        ? " (the JVM's heap limit was set outside Hyperfile and exceeds the budget's " + Sizes.format(budget.heapBytes()) + ")"
                        : "");
        return config;
    }

    /**
     * Opens {@code names} (reporting {@code incomplete}, half-deleted volumes, as not served), hands each volume that
     * opens to {@code gc} (owned by the result from then on: {@link Running#stop()} stops it), waits up to
     * {@code startupWait} for the first attempts, and starts the server unless nothing can ever be served, which is
     * an {@link IllegalStateException} with one line. Prints how to attach on {@code out} once listening. The store
     * is the caller's until this returns; then {@link Running#stop()} closes it.
     */
    static Running start(ObjectStore s, List<String> names, List<String> incomplete, VolumeConfig volumeConfig,
            ServerConfig serverConfig, OpenRetryPolicy policy, RetryScheduler scheduler, GcService gc, Duration startupWait,
            PrintWriter out, PrintWriter err) throws IOException, InterruptedException {
        return start(s, names, incomplete, volumeConfig, serverConfig, Serving.plain(names), policy, scheduler, gc,
                startupWait, out, err);
    }

    /** As above, following the store as {@code live} says (see {@link Serving#live}). */
    static Running start(ObjectStore s, List<String> names, List<String> incomplete, VolumeConfig volumeConfig,
            ServerConfig serverConfig, OpenRetryPolicy policy, RetryScheduler scheduler, GcService gc, Duration startupWait,
            PrintWriter out, PrintWriter err, LiveServing live) throws IOException, InterruptedException {
        return start(s, names, incomplete, volumeConfig, serverConfig, new Serving(AccessConfig.OPEN, name -> false,
                ServerTls.OFF, live, null), policy, scheduler, gc, startupWait, out, err);
    }

    /** As above, with an allow-list and limits, the volumes {@code readOnly} accepts served read-only, and TLS. */
    static Running start(ObjectStore s, List<String> names, List<String> incomplete, VolumeConfig volumeConfig,
            ServerConfig serverConfig, AccessConfig access, Predicate<String> readOnly, ServerTls tls, OpenRetryPolicy policy,
            RetryScheduler scheduler, GcService gc, Duration startupWait, PrintWriter out, PrintWriter err)
            throws IOException, InterruptedException {
        return start(s, names, incomplete, volumeConfig, serverConfig, new Serving(access, readOnly, tls,
                LiveServing.off(names), null), policy, scheduler, gc, startupWait, out, err);
    }

    /** As above, with {@code metrics} (null: none; see {@link Serving#metrics}). */
    static Running start(ObjectStore s, List<String> names, List<String> incomplete, VolumeConfig volumeConfig,
            ServerConfig serverConfig, OpenRetryPolicy policy, RetryScheduler scheduler, GcService gc, Duration startupWait,
            PrintWriter out, PrintWriter err, ServeMetrics metrics) throws IOException, InterruptedException {
        return start(s, names, incomplete, volumeConfig, serverConfig, new Serving(AccessConfig.OPEN, name -> false,
                ServerTls.OFF, LiveServing.off(names), metrics), policy, scheduler, gc, startupWait, out, err);
    }

    /**
     * How the server serves, besides where: who may use which export and within which limits ({@code access}), the
     * volumes served read-only ({@code readOnly}: opened as claim-free views, see {@link VolumeExports}), TLS, and
     * how it follows the store ({@code live}: leases on the volumes served for writing, and rescans that export what
     * was created and withdraw what was deleted, docs/SERVING.md), and {@code metrics} (null: none): its HTTP
     * endpoint listens before the volumes open, so liveness answers and readiness says what is still opening;
     * {@link Running#stop()} closes it last (docs/METRICS.md).
     */
    record Serving(AccessConfig access, Predicate<String> readOnly, ServerTls tls, LiveServing live, ServeMetrics metrics) {
        /** Open to everyone, read-write, no TLS, not following the store, no metrics. */
        static Serving plain(List<String> names) {
            return new Serving(AccessConfig.OPEN, name -> false, ServerTls.OFF, LiveServing.off(names), null);
        }
    }

    /**
     * Opens {@code names} and serves them as {@code serving} says (see the method above for the rest).
     */
    static Running start(ObjectStore s, List<String> names, List<String> incomplete, VolumeConfig volumeConfig,
            ServerConfig serverConfig, Serving serving, OpenRetryPolicy policy, RetryScheduler scheduler, GcService gc,
            Duration startupWait, PrintWriter out, PrintWriter err) throws IOException, InterruptedException {
        LiveServing live = serving.live();
        ExportRegistry exports = new ExportRegistry();
        LeaseKeeper leases = live.leases() ? new LeaseKeeper(s, live.clock(), scheduler, live.leaseRenewPeriod(),
                serverConfig.bindAddress() + ":" + serverConfig.port()) : LeaseKeeper.disabled();
        VolumeExports volumeExports = new VolumeExports(s, volumeConfig, exports, policy, scheduler, gc, leases, out, err,
                serving.readOnly());
        ServeMetrics metrics = serving.metrics();
        AtomicBoolean listening = new AtomicBoolean();
        if (metrics != null) {
            metrics.volumes(volumeExports);
            metrics.startHttp(new Readiness(volumeExports, listening::get));
        }
        incomplete.forEach(volumeExports::reportIncomplete);
        try {
            volumeExports.open(names).get(startupWait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            LOG.info("not every volume opened within {} s; serving those that did", startupWait.toSeconds());
        } catch (ExecutionException e) {
            closeMetrics(metrics);
            throw new IllegalStateException("opening the volumes failed: " + Hyperfile.describe(e.getCause()), e.getCause());
        }
        if (volumeExports.nothingToServe()) {
            closeAll(volumeExports);
            closeMetrics(metrics);
            int n = volumeExports.statuses().size();
            throw new IllegalStateException(n == 1 ? "the volume cannot be served (see above)"
                    : "none of the " + n + " volumes can be served (see above)");
        }
        NbdServer server = new NbdServer(serverConfig, exports, serving.access(), serving.tls(),
                metrics == null ? null : metrics.nbdStats());
        try {
            server.start();
        } catch (IOException e) {
            closeAll(volumeExports);
            closeMetrics(metrics);
            throw e;
        }
        listening.set(true);
        for (String name : volumeExports.volumes(VolumeExports.Status.OPENING)) {
            err.println("hyperfile: volume " + name + " is still opening; it will be served once it opens");
        }
        List<String> pending = new ArrayList<>(volumeExports.volumes(VolumeExports.Status.OPENING));
        pending.addAll(volumeExports.volumes(VolumeExports.Status.RETRYING));
        String listeningOn = server.listensOnTcp()
                ? server.localAddress().getHostString() + ":" + server.localAddress().getPort()
                : "unix socket " + server.unixSocket();
        try {
            leases.listeningOn(listeningOn).get(startupWait.toMillis() + 1, TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            LOG.warn("the leases were not rewritten with the listen address: {}", e.toString());
        }
        ExportRescan rescan = ExportRescan.onOwnThread(s, volumeExports, live.named(), live.rescanInterval(), scheduler);
        rescan.start();
        if (serving.access().policy().isRestricted()) {
            LOG.info("access: {}", serving.access().policy());
        }
        AttachHelp.print(out, server, volumeExports.volumes(VolumeExports.Status.SERVED), pending, serving.tls());
        return new Running(server, volumeExports, s, rescan, metrics);
    }

    private static void closeMetrics(ServeMetrics metrics) {
        if (metrics != null) {
            metrics.close();
        }
    }

    private static void closeAll(VolumeExports volumeExports) throws InterruptedException {
        try {
            volumeExports.close().get(120, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            LOG.error("volumes not closed: {}", e.toString());
        }
    }

    /** A started server: its exports and how to stop it. Thread-safe. */
    static final class Running {
        private final NbdServer server;
        private final VolumeExports volumes;
        private final ObjectStore store;
        private final ExportRescan rescan;
        private final ServeMetrics metrics;
        private volatile PointInTimeExports pointInTime;

        private Running(NbdServer server, VolumeExports volumes, ObjectStore store, ExportRescan rescan, ServeMetrics metrics) {
            this.server = server;
            this.volumes = volumes;
            this.store = store;
            this.rescan = rescan;
            this.metrics = metrics;
        }

        /** Rescans the store now (docs/SERVING.md); the future completes with what changed. */
        CompletableFuture<ExportRescan.Changes> rescan() {
            return rescan.rescanNow();
        }

        /** SIGHUP: rescans as soon as possible and prints one line on {@code out} saying what changed. */
        void rescanOnSignal(PrintWriter out) {
            LOG.info("SIGHUP: rescanning the store");
            rescan.trigger(c -> {
                out.println("hyperfile: rescan: " + c.summary());
                out.flush();
            });
        }

        int port() {
            return server.port();
        }

        /** Serves {@code VOLUME@seq:N} and {@code VOLUME@time:T} of the served volumes on demand (docs/POINT-IN-TIME.md). */
        PointInTimeExports servePointInTime(ObjectStore s, VolumeConfig config, PointInTimeExports.Settings settings,
                RetryScheduler scheduler) {
            pointInTime = new PointInTimeExports(s, config, volumes.registry(), volumes::isServed,
                    name -> server.limits().connections(name), settings, System::nanoTime).start(scheduler);
            return pointInTime;
        }

        VolumeExports volumes() {
            return volumes;
        }

        /**
         * Stops accepting, finishes the requests in flight, stops retrying and garbage collection, closes (flushes) every
         * volume and the store.
         */
        void stop() {
            LOG.info("shutting down: finishing requests in flight and flushing volumes");
            rescan.stop();
            try {
                server.shutdown().get(60, TimeUnit.SECONDS);
            } catch (Exception e) {
                LOG.warn("server shutdown: {}", e.toString());
            }
            if (pointInTime != null) {
                pointInTime.close();
            }
            try {
                closeAll(volumes);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            store.close();
            closeMetrics(metrics);
            LOG.info("stopped");
        }
    }

    static InetSocketAddress parseListen(String listen) {
        return HostPort.parse("--listen", listen, "127.0.0.1:10809");
    }
}
