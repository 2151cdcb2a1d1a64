package io.hyperfile.cli;

import io.hyperfile.core.cache.CacheConfig;
import io.hyperfile.core.checkpoint.Snapshots;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.volume.Volume;
import io.hyperfile.core.volume.VolumeCatalog;
import io.hyperfile.core.volume.VolumeConfig;
import io.hyperfile.core.volume.VolumeOptions;
import io.hyperfile.nbd.export.Export;
import io.hyperfile.nbd.export.ExportRegistry;
import io.hyperfile.nbd.server.NbdServer;
import io.hyperfile.nbd.server.ServerConfig;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
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
 */
@Command(name = "serve", mixinStandardHelpOptions = true, description = "Serve volumes over NBD.")
final class ServeCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(ServeCommand.class);
    static final String DEFAULT_VOLUME = "disk0";
    static final long DEFAULT_VOLUME_BYTES = 10L << 30;
    /** How far sequential reads fetch ahead into the local cache (when there is one). */
    static final long READ_AHEAD_BYTES = 8L << 20;

    @Spec
    CommandSpec spec;
    @Mixin
    StoreOptions store;
    @Mixin
    CacheOptions cache;

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
        ObjectStore s = store.stack().cache(cacheConfig).open();
        VolumeCatalog catalog = new VolumeCatalog(s);
        // Read-ahead fills the local cache; without one it would only repeat GETs.
        VolumeConfig volumeConfig = cacheConfig == null ? VolumeConfig.DEFAULT
                : VolumeConfig.builder().readAheadBytes(READ_AHEAD_BYTES).build();
        List<String> names = new ArrayList<>(volumes);
        if (names.isEmpty()) {
            names.addAll(catalog.list().join());
            if (names.isEmpty() && store.isDefaultEmbedded()) {
                catalog.create(DEFAULT_VOLUME, VolumeOptions.ofSize(DEFAULT_VOLUME_BYTES), Clock.systemUTC()).join();
                LOG.info("created volume {} ({}) in {}", DEFAULT_VOLUME, Sizes.format(DEFAULT_VOLUME_BYTES), store.store);
                names.add(DEFAULT_VOLUME);
            }
        }
        if (names.isEmpty()) {
            throw new IllegalStateException("no volumes in " + store.store + "; create one with: hyperfile volume create NAME --size 10G --store " + store.store);
        }
        ExportRegistry exports = new ExportRegistry();
        List<Volume> opened = new ArrayList<>();
        for (String name : names) {
            Volume v = catalog.open(name, volumeConfig).join();
            opened.add(v);
            exports.add(Export.of(name, v));
            for (Map.Entry<String, Long> snap : Snapshots.list(s, name + "/").join().entrySet()) {
                String exportName = name + "@" + snap.getKey();
                Volume view = Volume.openReadOnlyAt(s, name + "/", exportName, volumeConfig, snap.getValue()).join();
                opened.add(view);
                exports.add(new Export(exportName, view, true, "snapshot " + snap.getKey() + " of " + name
                        + " (checkpoint " + snap.getValue() + ", read-only)"));
            }
        }
        NbdServer server = new NbdServer(ServerConfig.builder().bindAddress(address.getHostString()).port(address.getPort()).build(), exports);
        server.start();
        printHowToAttach(spec.commandLine().getOut(), server.localAddress(), names);

        CountDownLatch stopped = new CountDownLatch(1);
        Runnable stop = () -> {
            LOG.info("shutting down: finishing requests in flight and flushing volumes");
            try {
                server.shutdown().get(60, TimeUnit.SECONDS);
            } catch (Exception e) {
                LOG.warn("server shutdown: {}", e.toString());
            }
            for (Volume v : opened) {
                try {
                    v.close().get(120, TimeUnit.SECONDS);
                } catch (Exception e) {
                    LOG.error("volume {} could not be flushed on shutdown: {}", v.name(), e.toString());
                }
            }
            s.close();
            LOG.info("stopped");
            stopped.countDown();
        };
        Signals.onTermination(stop);
        stopped.await();
        return 0;
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

    private static void printHowToAttach(PrintWriter out, InetSocketAddress at, List<String> names) {
        String host = at.getAddress() != null && at.getAddress().isAnyLocalAddress() ? "HOST" : at.getHostString();
        if (host.contains(":")) {
            host = "[" + host + "]"; // an IPv6 literal in a URI
        }
        int port = at.getPort();
        out.println("hyperfile: serving " + String.join(", ", names) + " on " + host + ":" + port
                + (host.equals("HOST") ? " (all interfaces; HOST = this machine's name or address)" : ""));
        String first = names.get(0);
        out.println("attach it with one of:");
        out.println("  nbd-client -N " + first + " " + host + " " + port + " /dev/nbd0");
        out.println("  qemu-system-x86_64 ... -drive file=nbd://" + host + ":" + port + "/" + first + ",format=raw");
        out.println("  nbdfuse /mnt/" + first + " nbd://" + host + ":" + port + "/" + first);
        out.flush();
    }
}
