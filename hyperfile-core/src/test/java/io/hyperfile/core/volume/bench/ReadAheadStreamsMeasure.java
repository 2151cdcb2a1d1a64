package io.hyperfile.core.volume.bench;

import io.hyperfile.core.cache.CacheConfig;
import io.hyperfile.core.cache.CachingObjectStore;
import io.hyperfile.core.store.RetryScheduler;
import io.hyperfile.core.store.UnclosableObjectStore;
import io.hyperfile.core.store.fault.FaultAction;
import io.hyperfile.core.store.fault.FaultRule;
import io.hyperfile.core.store.fault.FlakyObjectStore;
import io.hyperfile.core.store.fault.FlakyObjectStore.Op;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import io.hyperfile.core.volume.Volume;
import io.hyperfile.core.volume.VolumeConfig;
import io.hyperfile.core.volume.VolumeOptions;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Several sequential readers at once (one per connection, say) through the local read cache, against a store whose
 * segment GETs take a fixed time (a stand-in for S3's first-byte latency), with read-ahead off and on. Each reader
 * has one 1 MiB read in flight, so without read-ahead every read waits for a GET. Not a test; run with
 * {@code java -cp <test classpath> io.hyperfile.core.volume.bench.ReadAheadStreamsMeasure [getMillis] [readers]}.
 * Needs the JVM options of deploy/bin/hyperfile for the cache (Chronicle Map). Prints a Markdown table.
 */
public final class ReadAheadStreamsMeasure {
    private ReadAheadStreamsMeasure() {
    }

    public static void main(String[] args) throws Exception {
        long getMillis = args.length > 0 ? Long.parseLong(args[0]) : 20;
        int readers = args.length > 1 ? Integer.parseInt(args[1]) : 4;
        int mibEach = 32;
        InMemoryObjectStore memory = new InMemoryObjectStore();
        Volume.create(memory, "v", VolumeOptions.ofSize((long) readers * mibEach << 20), Clock.systemUTC()).join();
        Volume writer = Volume.open(memory, "v", "fill", VolumeConfig.DEFAULT).join();
        byte[] data = new byte[1 << 20];
        new Random(1).nextBytes(data);
        for (int i = 0; i < readers * mibEach; i++) {
            writer.write((long) i << 20, ByteBuffer.wrap(data)).join();
        }
        writer.close().join();
        ExecutorService pool = Executors.newFixedThreadPool(readers);
        System.out.println("| read-ahead | readers | GET latency | read | seconds | MiB/s |");
        System.out.println("|---|---|---|---|---|---|");
        for (long readAhead : new long[] {0, 8L << 20}) {
            Path dir = Files.createTempDirectory("hf-ra-cache");
            FlakyObjectStore slow = new FlakyObjectStore(new UnclosableObjectStore(memory));
            slow.add(FaultRule.on(Op.GET, ".*/seg/.*", FaultRule.always(),
                    FaultAction.delay(Duration.ofMillis(getMillis), RetryScheduler.system())));
            CachingObjectStore cached = new CachingObjectStore(slow, CacheConfig.builder(dir, 1L << 30).build());
            cached.opened().join();
            Volume v = Volume.open(cached, "v", "bench", VolumeConfig.builder().readAheadBytes(readAhead).build()).join();
            long start = System.nanoTime();
            List<CompletableFuture<Void>> streams = new ArrayList<>();
            for (int r = 0; r < readers; r++) {
                long base = (long) r * mibEach << 20;
                streams.add(CompletableFuture.runAsync(() -> {
                    ByteBuffer dst = ByteBuffer.allocate(1 << 20);
                    for (int i = 0; i < mibEach; i++) {
                        dst.clear();
                        v.read(base + ((long) i << 20), dst).join();
                    }
                }, pool));
            }
            CompletableFuture.allOf(streams.toArray(CompletableFuture[]::new)).join();
            double seconds = (System.nanoTime() - start) / 1e9;
            int mib = readers * mibEach;
            System.out.printf("| %s | %d | %d ms | %d MiB | %.2f | %.0f |%n", readAhead == 0 ? "off" : "8 MiB", readers,
                    getMillis, mib, seconds, mib / seconds);
            v.close().join();
            cached.close();
        }
        pool.shutdown();
    }
}
