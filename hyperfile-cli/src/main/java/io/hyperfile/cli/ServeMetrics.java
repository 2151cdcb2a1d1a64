package io.hyperfile.cli;

import io.hyperfile.core.cache.CachingObjectStore;
import io.hyperfile.core.store.FailureCategory;
import io.hyperfile.core.store.StoreOp;
import io.hyperfile.core.store.StoreStats;
import io.hyperfile.core.volume.Volume;
import io.hyperfile.nbd.server.ExportStats;
import io.hyperfile.nbd.server.NbdStats;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.instrumentation.jvm.JvmBufferPoolMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmGarbageCollectorMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmMemoryMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmThreadsMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * The metrics of {@code serve --metrics} (docs/METRICS.md): one Prometheus registry holding collectors that read
 * the plain counters of hyperfile-nbd ({@link NbdStats}), of the store stack ({@link StoreStats}), of the volumes
 * ({@link VolumeCollectors}), the cache and garbage collection, plus the JVM's memory, buffer pools, collections and
 * threads; and the histograms fed by their listeners. Counters are read when Prometheus scrapes; the request path
 * pays a few {@code LongAdder} increments and one histogram observation.
 *
 * <p>Use: make it before the store and server (they take {@link #storeStats()} and {@link #nbdStats()}), hand it the
 * cache and the exports once they exist, then {@link #startHttp}. Thread-safe.
 */
final class ServeMetrics implements AutoCloseable {
    /** Latency buckets in seconds, 50 µs to 10 s: NBD requests, store requests and flushes all fall in there. */
    static final double[] SECONDS_BUCKETS = {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
        0.1, 0.25, 0.5, 1, 2.5, 5, 10};
    private static final double NANOS_PER_SECOND = 1e9;

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final NbdStats nbdStats;
    private final StoreStats storeStats = new StoreStats();
    private final VolumeCollectors volumes;
    private final InetSocketAddress address;
    private MetricsServer http;

    /** Metrics to be served on {@code address} (see {@link #startHttp}). */
    ServeMetrics(InetSocketAddress address) {
        this.address = address;
        Histogram nbdDuration = histogram("hyperfile_nbd_request_duration_seconds",
                "Time from an NBD request's dispatch to the device's answer, per export and op.", "export", "op");
        this.nbdStats = new NbdStats((export, op) -> {
            DistributionDataPoint point = nbdDuration.labelValues(export, op);
            return nanos -> point.observe(nanos / NANOS_PER_SECOND);
        });
        registerNbd();
        Histogram storeDuration = histogram("hyperfile_store_request_duration_seconds",
                "Duration of each request sent to the object store (each attempt), per op.", "op");
        DistributionDataPoint[] storePoints = new DistributionDataPoint[StoreOp.values().length];
        for (StoreOp op : StoreOp.values()) {
            storePoints[op.ordinal()] = storeDuration.labelValues(op.label());
        }
        storeStats.observeLatency((op, nanos, failed) -> storePoints[op.ordinal()].observe(nanos / NANOS_PER_SECOND));
        registerStore();
        this.volumes = new VolumeCollectors(registry, histogram("hyperfile_volume_flush_duration_seconds",
                "Time from a FLUSH (or FUA write) reaching a volume until what it covers is durable in the store.", "volume"));
        JvmMemoryMetrics.builder().register(registry);
        JvmBufferPoolMetrics.builder().register(registry);
        JvmGarbageCollectorMetrics.builder().register(registry);
        JvmThreadsMetrics.builder().register(registry);
    }

    PrometheusRegistry registry() {
        return registry;
    }

    /** What the NBD server counts into. */
    NbdStats nbdStats() {
        return nbdStats;
    }

    /** What the store stack counts into (below its retries: every attempt). */
    StoreStats storeStats() {
        return storeStats;
    }

    /** Exports the figures of the local read cache. */
    void cache(CachingObjectStore cache) {
        volumes.registerCache(cache);
    }

    /** Exports what garbage collection did. */
    void gc(GcStats stats) {
        volumes.registerGc(stats);
    }

    /** Exports the figures of the volumes of {@code exports}; call before they open (it hooks each as it is served). */
    void volumes(VolumeExports exports) {
        exports.onServed(volumeServed());
        volumes.registerVolumes(exports);
    }

    /** Starts the HTTP endpoint; readiness as {@code readiness} says. Returns the port it listens on. */
    synchronized int startHttp(Readiness readiness) throws IOException {
        http = MetricsServer.start(address, registry, readiness::check);
        return http.port();
    }

    /** The port the HTTP endpoint listens on; -1 before {@link #startHttp}. */
    synchronized int port() {
        return http == null ? -1 : http.port();
    }

    @Override
    public synchronized void close() {
        if (http != null) {
            http.close();
            http = null;
        }
    }

    private Consumer<Volume> volumeServed() {
        return volumes::observe;
    }

    private Histogram histogram(String name, String help, String... labels) {
        return Histogram.builder().name(name).help(help).labelNames(labels).classicOnly()
                .classicUpperBounds(SECONDS_BUCKETS).withoutExemplars().register(registry);
    }

    private void registerNbd() {
        CounterWithCallback.builder().name("hyperfile_nbd_connections_accepted_total")
                .help("TCP connections the NBD server accepted (handshakes that failed included).")
                .callback(cb -> cb.call(nbdStats.connectionsAccepted())).register(registry);
        CounterWithCallback.builder().name("hyperfile_nbd_requests_total")
                .help("NBD requests received, per export and op (the NBD command).").labelNames("export", "op")
                .callback(cb -> perOp((e, op) -> cb.call(e.requests(op), e.name(), op))).register(registry);
        CounterWithCallback.builder().name("hyperfile_nbd_request_errors_total")
                .help("NBD requests answered with an error (rejected ones included), per export and op.")
                .labelNames("export", "op")
                .callback(cb -> perOp((e, op) -> cb.call(e.errors(op), e.name(), op))).register(registry);
        CounterWithCallback.builder().name("hyperfile_nbd_bytes_total")
                .help("Payload bytes of NBD READs and WRITEs that succeeded, per export and direction (read, write).")
                .labelNames("export", "direction")
                .callback(cb -> nbdStats.exports().forEach(e -> {
                    cb.call(e.bytesRead(), e.name(), "read");
                    cb.call(e.bytesWritten(), e.name(), "write");
                })).register(registry);
        GaugeWithCallback.builder().name("hyperfile_nbd_requests_in_flight")
                .help("NBD requests received and not answered yet, per export.").labelNames("export")
                .callback(cb -> nbdStats.exports().forEach(e -> cb.call(e.inFlight(), e.name()))).register(registry);
        GaugeWithCallback.builder().name("hyperfile_nbd_connections")
                .help("NBD connections in transmission, per export.").labelNames("export")
                .callback(cb -> nbdStats.exports().forEach(e -> cb.call(e.connections(), e.name()))).register(registry);
    }

    /** Calls {@code each} for every export and every op it has seen (ops never used are left out). */
    private void perOp(BiConsumer<ExportStats, String> each) {
        for (ExportStats e : nbdStats.exports()) {
            for (String op : ExportStats.OPS) {
                if (!op.equals("disc") && e.requests(op) > 0) {
                    each.accept(e, op);
                }
            }
        }
    }

    private void registerStore() {
        CounterWithCallback.builder().name("hyperfile_store_requests_total")
                .help("Requests sent to the object store, per op (each attempt of a retried request counts).")
                .labelNames("op").callback(cb -> {
                    for (StoreOp op : StoreOp.values()) {
                        cb.call(storeStats.requests(op), op.label());
                    }
                }).register(registry);
        CounterWithCallback.builder().name("hyperfile_store_errors_total")
                .help("Object store requests that failed, per op and kind (the failure category, or other).")
                .labelNames("op", "kind").callback(cb -> {
                    for (StoreOp op : StoreOp.values()) {
                        for (FailureCategory c : FailureCategory.values()) {
                            long n = storeStats.errors(op, c);
                            if (n > 0) {
                                cb.call(n, op.label(), c.name().toLowerCase(Locale.ROOT));
                            }
                        }
                        long other = storeStats.errors(op, null);
                        if (other > 0) {
                            cb.call(other, op.label(), "other");
                        }
                    }
                }).register(registry);
    }
}
