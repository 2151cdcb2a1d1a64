package io.hyperfile.cli;

import io.hyperfile.core.cache.CacheConfig;
import io.hyperfile.core.cache.CachingObjectStore;
import io.hyperfile.core.gc.GcConfig;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.store.RetryScheduler;
import io.hyperfile.core.volume.VolumeCatalog;
import io.hyperfile.core.volume.VolumeConfig;
import io.hyperfile.core.volume.VolumeOptions;
import io.hyperfile.nbd.export.ExportRegistry;
import io.hyperfile.nbd.server.NbdServer;
import io.hyperfile.nbd.server.ServerConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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
 * <p>Each writable volume served gets background garbage collection ({@link GcService}, {@link GcOptions}) unless
 * {@code --gc off}; it stops before the volumes close on shutdown.
 */
@Command(name = "serve", mixinStandardHelpOptions = true, description = "Serve volumes over NBD.")
final class ServeCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(ServeCommand.class);
    static final String DEFAULT_VOLUME = "disk0";
    static final long DEFAULT_VOLUME_BYTES = 10L << 30;
    /** How far sequential reads fetch ahead into the local cache (when there is one). */
    static final long READ_AHEAD_BYTES = 8L << 20;
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
    MetricsOptions metricsOptions;

    @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:10809",
            description = "Address to listen on (default ${DEFAULT-VALUE}).")
    String listen;

    @Parameters(paramLabel = "VOLUME", arity = "0..*", description = "Volumes to serve (default: every volume of the store).")
    List<String> volumes = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        InetSocketAddress address = parseListen(listen);
        volumes.forEach(VolumeCatalog::checkName);
        CacheConfig cacheConfig = cache.config(store);
        GcConfig gcConfig = gcOptions.config();
        ServerConfig serverConfig = ServerConfig.builder().bindAddress(address.getHostString()).port(address.getPort()).build();
        ServeMetrics metrics = metricsOptions.isEnabled() ? new ServeMetrics(metricsOptions.address()) : null;
        ObjectStore s = store.stack().cache(cacheConfig).stats(metrics == null ? null : metrics.storeStats()).open();
        if (metrics != null && s instanceof CachingObjectStore cached) {
            metrics.cache(cached);
        }
        // Read-ahead fills the local cache; without one it would only repeat GETs.
        VolumeConfig volumeConfig = cacheConfig == null ? VolumeConfig.DEFAULT
                : VolumeConfig.builder().readAheadBytes(READ_AHEAD_BYTES).build();
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
            running = start(s, names, incomplete, volumeConfig, serverConfig, OpenRetryPolicy.DEFAULT, RetryScheduler.system(),
                    gc, STARTUP_WAIT, spec.commandLine().getOut(), spec.commandLine().getErr(), metrics);
        } catch (Exception e) {
            gc.stop();
            s.close();
            throw e;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Signals.onTermination(() -> {
            running.stop();
            stopped.countDown();
        });
        stopped.await();
        return 0;
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
        return start(s, names, incomplete, volumeConfig, serverConfig, policy, scheduler, gc, startupWait, out, err, null);
    }

    /**
     * {@link #start} with {@code metrics} (null: none): its HTTP endpoint listens before the volumes open, so liveness
     * answers and readiness says what is still opening; {@link Running#stop()} closes it last.
     */
    static Running start(ObjectStore s, List<String> names, List<String> incomplete, VolumeConfig volumeConfig,
            ServerConfig serverConfig, OpenRetryPolicy policy, RetryScheduler scheduler, GcService gc, Duration startupWait,
            PrintWriter out, PrintWriter err, ServeMetrics metrics) throws IOException, InterruptedException {
        ExportRegistry exports = new ExportRegistry();
        VolumeExports volumeExports = new VolumeExports(s, volumeConfig, exports, policy, scheduler, gc, out, err);
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
        NbdServer server = new NbdServer(serverConfig, exports, metrics == null ? null : metrics.nbdStats());
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
        printHowToAttach(out, server.localAddress(), volumeExports.volumes(VolumeExports.Status.SERVED), pending);
        return new Running(server, volumeExports, s, metrics);
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
        private final ServeMetrics metrics;

        private Running(NbdServer server, VolumeExports volumes, ObjectStore store, ServeMetrics metrics) {
            this.server = server;
            this.volumes = volumes;
            this.store = store;
            this.metrics = metrics;
        }

        int port() {
            return server.port();
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
            try {
                server.shutdown().get(60, TimeUnit.SECONDS);
            } catch (Exception e) {
                LOG.warn("server shutdown: {}", e.toString());
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
        int colon = listen.lastIndexOf(':');
        if (colon <= 0 || colon == listen.length() - 1) {
            throw new IllegalArgumentException("invalid --listen '" + listen + "': use HOST:PORT, e.g. 127.0.0.1:10809");
        }
        String host = listen.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(listen.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid --listen '" + listen + "': the port must be a number");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("invalid --listen '" + listen + "': the port must be in 0..65535");
        }
        return InetSocketAddress.createUnresolved(host, port);
    }

    private static void printHowToAttach(PrintWriter out, InetSocketAddress at, List<String> served, List<String> pending) {
        String host = at.getAddress() != null && at.getAddress().isAnyLocalAddress() ? "HOST" : at.getHostString();
        if (host.contains(":")) {
            host = "[" + host + "]"; // an IPv6 literal in a URI
        }
        int port = at.getPort();
        String what = served.isEmpty() ? "no volume yet" : String.join(", ", served);
        if (!pending.isEmpty()) {
            what += " (not yet: " + String.join(", ", pending) + ")";
        }
        out.println("hyperfile: serving " + what + " on " + host + ":" + port
                + (host.equals("HOST") ? " (all interfaces; HOST = this machine's name or address)" : ""));
        String first = served.isEmpty() ? pending.get(0) : served.get(0);
        out.println("attach it with one of:");
        out.println("  nbd-client -N " + first + " " + host + " " + port + " /dev/nbd0");
        out.println("  qemu-system-x86_64 ... -drive file=nbd://" + host + ":" + port + "/" + first + ",format=raw");
        out.println("  nbdfuse /mnt/" + first + " nbd://" + host + ":" + port + "/" + first);
        out.flush();
    }
}
