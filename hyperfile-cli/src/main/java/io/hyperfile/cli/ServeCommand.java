package io.hyperfile.cli;

import io.hyperfile.core.cache.CacheConfig;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
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
    RescanOptions rescanOptions;

    @Option(names = "--memory", paramLabel = "SIZE", defaultValue = "${env:HYPERFILE_MEMORY:-" + MemoryBudget.DEFAULT + "}",
            description = "Memory budget of the server: heap, direct memory and write buffers are sized from it "
                    + "(default ${DEFAULT-VALUE}; env HYPERFILE_MEMORY).")
    String memory;

    @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:10809",
            description = "Address to listen on (default ${DEFAULT-VALUE}).")
    String listen;

    @Parameters(paramLabel = "VOLUME", arity = "0..*", description = "Volumes to serve (default: every volume of the store).")
    List<String> volumes = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        InetSocketAddress address = parseListen(listen);
        MemoryBudget budget = new MemoryBudget(Sizes.parse("--memory", memory), "--memory");
        volumes.forEach(VolumeCatalog::checkName);
        CacheConfig cacheConfig = cache.config(store);
        GcConfig gcConfig = gcOptions.config();
        LiveServing live = new LiveServing(volumes.stream().distinct().toList(), rescanOptions.interval(), true,
                LeaseKeeper.RENEW_PERIOD, CliClock.clock());
        AtomicReference<Running> started = new AtomicReference<>();
        Signals.onHangup(() -> {
            Running r = started.get();
            if (r == null) {
                LOG.info("SIGHUP ignored: the server is still starting");
            } else {
                r.rescanOnSignal(spec.commandLine().getOut());
            }
        });
        ServerConfig serverConfig = ServerConfig.builder().bindAddress(address.getHostString()).port(address.getPort()).build();
        ObjectStore s = store.stack().cache(cacheConfig).open();
        Running running;
        GcService gc = GcService.onOwnThread(gcConfig);
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
            VolumeConfig volumeConfig = volumeConfig(budget, cacheConfig != null, names.size() + incomplete.size());
            running = start(s, names, incomplete, volumeConfig, serverConfig, OpenRetryPolicy.DEFAULT, RetryScheduler.system(),
                    gc, STARTUP_WAIT, spec.commandLine().getOut(), spec.commandLine().getErr(), live);
            started.set(running);
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
     * The volumes' settings: write buffers sized from the memory budget, and read-ahead (it fills the local cache;
     * without one it would only repeat GETs).
     */
    private static VolumeConfig volumeConfig(MemoryBudget budget, boolean cached, int volumeCount) {
        long dirty = budget.dirtyLimitBytes(volumeCount);
        long heapLimit = Runtime.getRuntime().maxMemory();
        LOG.info("memory budget {}: heap limit {}, write buffer {} per volume{}", Sizes.format(budget.totalBytes()),
                Sizes.format(heapLimit), Sizes.format(dirty), heapLimit > budget.heapBytes() + (16 << 20)
                        ? " (the JVM's heap limit was set outside Hyperfile and exceeds the budget's " + Sizes.format(budget.heapBytes()) + ")"
                        : "");
        VolumeConfig.Builder b = VolumeConfig.builder().dirtyLimitBytes(dirty);
        if (cached) {
            b.readAheadBytes(READ_AHEAD_BYTES);
        }
        return b.build();
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
        return start(s, names, incomplete, volumeConfig, serverConfig, policy, scheduler, gc, startupWait, out, err, LiveServing.off(names));
    }

    /**
     * As above, following the store while serving as {@code live} says: leases on the volumes served for writing, and
     * rescans ({@link Running#rescan()}, every interval, on SIGHUP) that export what was created and withdraw what
     * was deleted (docs/SERVING.md).
     */
    static Running start(ObjectStore s, List<String> names, List<String> incomplete, VolumeConfig volumeConfig,
            ServerConfig serverConfig, OpenRetryPolicy policy, RetryScheduler scheduler, GcService gc, Duration startupWait,
            PrintWriter out, PrintWriter err, LiveServing live) throws IOException, InterruptedException {
        ExportRegistry exports = new ExportRegistry();
        LeaseKeeper leases = live.leases() ? new LeaseKeeper(s, live.clock(), scheduler, live.leaseRenewPeriod(),
                serverConfig.bindAddress() + ":" + serverConfig.port()) : LeaseKeeper.disabled();
        VolumeExports volumeExports = new VolumeExports(s, volumeConfig, exports, policy, scheduler, gc, leases, out, err);
        incomplete.forEach(volumeExports::reportIncomplete);
        try {
            volumeExports.open(names).get(startupWait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            LOG.info("not every volume opened within {} s; serving those that did", startupWait.toSeconds());
        } catch (ExecutionException e) {
            throw new IllegalStateException("opening the volumes failed: " + Hyperfile.describe(e.getCause()), e.getCause());
        }
        if (volumeExports.nothingToServe()) {
            closeAll(volumeExports);
            int n = volumeExports.statuses().size();
            throw new IllegalStateException(n == 1 ? "the volume cannot be served (see above)"
                    : "none of the " + n + " volumes can be served (see above)");
        }
        NbdServer server = new NbdServer(serverConfig, exports);
        try {
            server.start();
        } catch (IOException e) {
            closeAll(volumeExports);
            throw e;
        }
        for (String name : volumeExports.volumes(VolumeExports.Status.OPENING)) {
            err.println("hyperfile: volume " + name + " is still opening; it will be served once it opens");
        }
        List<String> pending = new ArrayList<>(volumeExports.volumes(VolumeExports.Status.OPENING));
        pending.addAll(volumeExports.volumes(VolumeExports.Status.RETRYING));
        try {
            leases.listeningOn(server.localAddress().getHostString() + ":" + server.localAddress().getPort())
                    .get(startupWait.toMillis() + 1, TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            LOG.warn("the leases were not rewritten with the listen address: {}", e.toString());
        }
        ExportRescan rescan = ExportRescan.onOwnThread(s, volumeExports, live.named(), live.rescanInterval(), scheduler);
        rescan.start();
        printHowToAttach(out, server.localAddress(), volumeExports.volumes(VolumeExports.Status.SERVED), pending);
        return new Running(server, volumeExports, s, rescan);
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

        private Running(NbdServer server, VolumeExports volumes, ObjectStore store, ExportRescan rescan) {
            this.server = server;
            this.volumes = volumes;
            this.store = store;
            this.rescan = rescan;
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
            try {
                closeAll(volumes);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            store.close();
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
