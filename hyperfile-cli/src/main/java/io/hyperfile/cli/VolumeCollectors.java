package io.hyperfile.cli;

import io.hyperfile.core.cache.CacheStats;
import io.hyperfile.core.cache.CachingObjectStore;
import io.hyperfile.core.volume.HealthState;
import io.hyperfile.core.volume.Volume;
import io.hyperfile.core.volume.VolumeStats;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;

/**
 * The per-volume collectors of {@link ServeMetrics}: write buffer, uploads, health state and flush durations of each
 * volume {@code serve} was asked for, the local read cache, and garbage collection. Values are read at scrape time
 * ({@link Volume#stats()}, {@link Volume#health()}, {@link CachingObjectStore#stats()}, {@link GcStats}). Thread-safe.
 */
final class VolumeCollectors {
    /** Every value of the {@code state} label: where serve has the volume, then its health state. */
    static final List<String> STATES;

    static {
        List<String> states = new ArrayList<>(List.of("opening", "retrying", "failed"));
        for (HealthState s : HealthState.values()) {
            states.add(s.name().toLowerCase(Locale.ROOT));
        }
        STATES = List.copyOf(states);
    }

    private final PrometheusRegistry registry;
    private final Histogram flushDuration;

    VolumeCollectors(PrometheusRegistry registry, Histogram flushDuration) {
        this.registry = registry;
        this.flushDuration = flushDuration;
    }

    /** Feeds {@code volume}'s flush durations into the histogram. */
    void observe(Volume volume) {
        DistributionDataPoint point = flushDuration.labelValues(volume.name());
        volume.observeFlushes(nanos -> point.observe(nanos / 1e9));
    }

    void registerVolumes(VolumeExports exports) {
        volumeGauge(exports, "hyperfile_volume_dirty_bytes",
                "Block data in the write buffer not yet durable in the store (open window and windows on their way).",
                VolumeStats::dirtyBytes);
        volumeCounter(exports, "hyperfile_volume_segments_uploaded_total", "Segments this writer stored since open.",
                VolumeStats::segmentsWritten);
        volumeCounter(exports, "hyperfile_volume_uploaded_bytes_total", "Bytes of the segments stored since open.",
                VolumeStats::segmentBytesWritten);
        volumeCounter(exports, "hyperfile_volume_read_defrag_bytes_total",
                "Bytes of fragmented reads handed to relocation windows to be stored again contiguously since open.",
                VolumeStats::readDefragBytes);
        volumeGauge(exports, "hyperfile_volume_index_nodes", "Nodes in the volume's published index.",
                s -> s.index().nodes());
        volumeGauge(exports, "hyperfile_volume_index_cache_bytes",
                "Estimated heap bytes of decoded index nodes cached (bounded by volume.node-cache-size).",
                s -> s.index().cachedBytes());
        volumeCounter(exports, "hyperfile_volume_index_cache_hits_total",
                "Index node lookups the node cache answered since open.", s -> s.index().hits());
        volumeCounter(exports, "hyperfile_volume_index_cache_misses_total",
                "Index node lookups that fetched the node from the store since open.", s -> s.index().misses());
        volumeCounter(exports, "hyperfile_volume_upload_failures_total",
                "Failed store steps of the volume's pipeline (indexing, upload; transient ones included) since open.",
                VolumeStats::failures);
        GaugeWithCallback.builder().name("hyperfile_volume_state")
                .help("1 for the state the volume is in, 0 for the others: opening, retrying, failed (serve could not open it),"
                        + " then its health: open, degraded, read_only, fenced, closed.")
                .labelNames("volume", "state").callback(cb -> {
                    Map<String, Volume> served = exports.servedVolumes();
                    exports.statuses().forEach((name, status) -> {
                        String now = switch (status) {
                            case OPENING -> "opening";
                            case RETRYING -> "retrying";
                            case FAILED -> "failed";
                            case SERVED -> served.containsKey(name)
                                    ? served.get(name).health().name().toLowerCase(Locale.ROOT) : "opening";
                        };
                        for (String s : STATES) {
                            cb.call(s.equals(now) ? 1 : 0, name, s);
                        }
                    });
                }).register(registry);
    }

    void registerCache(CachingObjectStore cache) {
        cacheCounter(cache, "hyperfile_cache_hits_total", "Chunks served from the local read cache.", CacheStats::hits);
        cacheCounter(cache, "hyperfile_cache_misses_total", "Chunks a cached read had to fetch from the store.",
                CacheStats::misses);
        CounterWithCallback.builder().name("hyperfile_cache_read_bytes_total")
                .help("Bytes the cache layer returned from the cache (source=cache) or fetched from the store on misses"
                        + " (source=store).")
                .labelNames("source").callback(cb -> {
                    CacheStats s = cache.stats();
                    cb.call(s.bytesFromCache(), "cache");
                    cb.call(s.bytesFromStore(), "store");
                }).register(registry);
        cacheCounter(cache, "hyperfile_cache_evictions_total", "Chunks evicted from the cache to make room.",
                CacheStats::evictions);
        cacheCounter(cache, "hyperfile_cache_insert_failures_total", "Chunk inserts that failed or were dropped.",
                s -> s.insertFailures() + s.insertsDropped());
        cacheCounter(cache, "hyperfile_cache_write_through_skipped_total",
                "Chunks of written segments not written through: data of sequential runs (cache.sequential-cutoff).",
                CacheStats::writeThroughSkipped);
        GaugeWithCallback.builder().name("hyperfile_cache_chunks").help("Chunks in the cache now.")
                .callback(cb -> cb.call(cache.stats().entries())).register(registry);
        long chunkBytes = cache.config().chunkSizeBytes();
        GaugeWithCallback.builder().name("hyperfile_cache_used_bytes").help("Bytes of the chunks in the cache now.")
                .callback(cb -> cb.call((double) cache.stats().entries() * chunkBytes)).register(registry);
        GaugeWithCallback.builder().name("hyperfile_cache_capacity_bytes").help("The cache's size (--cache-size).")
                .callback(cb -> cb.call(cache.config().sizeBytes())).register(registry);
    }

    void registerGc(GcStats gc) {
        gcCounter(gc, "hyperfile_gc_passes_total", "Garbage collection passes run (failed ones included).",
                GcStats.Figures::passes);
        gcCounter(gc, "hyperfile_gc_failed_passes_total", "Garbage collection passes that failed.",
                GcStats.Figures::failedPasses);
        gcCounter(gc, "hyperfile_gc_deleted_segments_total", "Unreferenced segments deleted.", GcStats.Figures::deletedSegments);
        gcCounter(gc, "hyperfile_gc_deleted_bytes_total", "Bytes of the segments deleted.", GcStats.Figures::deletedBytes);
        gcCounter(gc, "hyperfile_gc_moved_bytes_total", "Live bytes moved by compaction.", GcStats.Figures::movedBytes);
        gcGauge(gc, "hyperfile_gc_stored_bytes", "Bytes stored under the volume, as of the newest pass.",
                f -> f.storedBytes() < 0 ? Double.NaN : f.storedBytes());
        gcGauge(gc, "hyperfile_gc_live_bytes", "Live bytes of the volume, as of the newest pass.",
                f -> f.liveBytes() < 0 ? Double.NaN : f.liveBytes());
        gcGauge(gc, "hyperfile_gc_garbage_ratio", "Share of the stored bytes that is garbage (0..1), as of the newest pass.",
                f -> f.storedBytes() <= 0 ? Double.NaN : (double) (f.storedBytes() - f.liveBytes()) / f.storedBytes());
    }

    // ---------------------------------------------------------------- helpers

    private void volumeGauge(VolumeExports exports, String name, String help, ToLongFunction<VolumeStats> value) {
        GaugeWithCallback.builder().name(name).help(help).labelNames("volume")
                .callback(cb -> eachVolume(exports, (v, s) -> cb.call(value.applyAsLong(s), v))).register(registry);
    }

    private void volumeCounter(VolumeExports exports, String name, String help, ToLongFunction<VolumeStats> value) {
        CounterWithCallback.builder().name(name).help(help).labelNames("volume")
                .callback(cb -> eachVolume(exports, (v, s) -> cb.call(value.applyAsLong(s), v))).register(registry);
    }

    private static void eachVolume(VolumeExports exports, BiConsumer<String, VolumeStats> each) {
        exports.servedVolumes().forEach((name, v) -> each.accept(name, v.stats()));
    }

    private void cacheCounter(CachingObjectStore cache, String name, String help, ToLongFunction<CacheStats> value) {
        CounterWithCallback.builder().name(name).help(help)
                .callback(cb -> cb.call(value.applyAsLong(cache.stats()))).register(registry);
    }

    private void gcCounter(GcStats gc, String name, String help, ToLongFunction<GcStats.Figures> value) {
        CounterWithCallback.builder().name(name).help(help).labelNames("volume")
                .callback(cb -> gc.volumes().forEach((v, f) -> cb.call(value.applyAsLong(f), v))).register(registry);
    }

    private void gcGauge(GcStats gc, String name, String help, ToDoubleFunction<GcStats.Figures> value) {
        GaugeWithCallback.builder().name(name).help(help).labelNames("volume")
                .callback(cb -> gc.volumes().forEach((v, f) -> cb.call(value.applyAsDouble(f), v))).register(registry);
    }
}
