package io.hyperfile.core.store.bench;

import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.ObjectData;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.store.RetryPolicy;
import io.hyperfile.core.store.RetryingObjectStore;
import io.hyperfile.core.store.s3.S3Backend;
import io.hyperfile.core.store.s3.S3ObjectStore;
import io.hyperfile.core.store.s3.S3StoreConfig;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;

/**
 * PUT/GET throughput of 8 MiB objects and PUT/GET latency of 4 KiB objects against an embedded S3Proxy, for
 * Hyperfile's store and for the bare AWS SDK client on the same server, in the same JMH run.
 *
 * <p>{@code client=hyperfile} is {@link S3ObjectStore} wrapped in {@link RetryingObjectStore}, as the product uses
 * it. {@code client=raw} is a plain CRT {@link S3AsyncClient} built from the same {@link S3StoreConfig} values
 * (endpoint, region, path-style, credentials, multipart threshold, SDK-default checksums, no SDK retries) with the
 * SDK's own completion executor, calling {@code putObject}/{@code getObject} directly: no Hyperfile code in the
 * path. Each trial (one benchmark, one client, one fork) starts its own S3Proxy ({@link
 * S3Backend#startEmbeddedS3Proxy()}: transient store on 127.0.0.1, any port) in the forked JVM and creates only the
 * client it measures, so client and server share the fork.
 *
 * <p>Scores: the {@code *8MiB*} benchmarks count one operation per MiB ({@link OperationsPerInvocation} 8), so
 * their ops/s are MiB/s. {@code Serial} means one request at a time; {@code InFlight8} means 8 JMH threads, each
 * with one blocking request, so 8 requests are always outstanding. The {@code *4KiBLatency} benchmarks are
 * single-threaded SampleTime: read p50/p99 from the percentiles. Objects are rewritten and read over a fixed set of
 * keys (16 of 8 MiB, 256 of 4 KiB), so the server's memory stays bounded; GET trials preload their keys first.
 *
 * <p>Run it with {@code hyperfile-core/src/test/bench/run-store-bench.sh}; results are in
 * {@code docs/BENCHMARKS.md}. Not run in CI: CI only compiles it.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = "-Xmx2g")
public class StoreBench {
    static final int BIG_BYTES = 8 << 20;
    static final int SMALL_BYTES = 4 << 10;
    static final int BIG_KEYS = 16;
    static final int SMALL_KEYS = 256;

    /** What one benchmark drives: a server, one client, the payloads and the key counters. */
    @State(Scope.Benchmark)
    public static class Target {
        @Param({"hyperfile", "raw"})
        public String client;

        private S3Backend.Backend server;
        private Client store;
        private final ByteBuffer big = randomBytes(BIG_BYTES, 1);
        private final ByteBuffer small = randomBytes(SMALL_BYTES, 2);
        private final AtomicLong nextBig = new AtomicLong();
        private final AtomicLong nextSmall = new AtomicLong();

        @Setup(Level.Trial)
        public void start(BenchmarkParams params) {
            server = S3Backend.startEmbeddedS3Proxy();
            S3StoreConfig config = server.storeConfig(server.createBucket("bench")).build();
            store = switch (client) {
                case "hyperfile" -> new HyperfileClient(config);
                case "raw" -> new RawCrtClient(config);
                default -> throw new IllegalArgumentException("client must be hyperfile or raw. client=" + client);
            };
            String method = params.getBenchmark().substring(params.getBenchmark().lastIndexOf('.') + 1);
            if (method.startsWith("get8MiB")) {
                preload("big/", BIG_KEYS, big);
            } else if (method.startsWith("get4KiB")) {
                preload("small/", SMALL_KEYS, small);
            }
        }

        @TearDown(Level.Trial)
        public void stop() {
            try {
                if (store != null) {
                    store.close();
                }
            } finally {
                server.close();
            }
        }

        private void preload(String prefix, int keys, ByteBuffer data) {
            List<CompletableFuture<?>> puts = new ArrayList<>();
            for (int i = 0; i < keys; i++) {
                puts.add(store.put(prefix + i, data.duplicate()));
                if (puts.size() == 8) {
                    CompletableFuture.allOf(puts.toArray(CompletableFuture[]::new)).join();
                    puts.clear();
                }
            }
            CompletableFuture.allOf(puts.toArray(CompletableFuture[]::new)).join();
        }

        int putBig() {
            store.put("big/" + nextBig.getAndIncrement() % BIG_KEYS, big.duplicate()).join();
            return BIG_BYTES;
        }

        int getBig() {
            return expect(store.get("big/" + nextBig.getAndIncrement() % BIG_KEYS).join(), BIG_BYTES);
        }

        int putSmall() {
            store.put("small/" + nextSmall.getAndIncrement() % SMALL_KEYS, small.duplicate()).join();
            return SMALL_BYTES;
        }

        int getSmall() {
            return expect(store.get("small/" + nextSmall.getAndIncrement() % SMALL_KEYS).join(), SMALL_BYTES);
        }

        private static int expect(int actualBytes, int expectedBytes) {
            if (actualBytes != expectedBytes) {
                throw new IllegalStateException("GET returned " + actualBytes + " bytes, expected " + expectedBytes);
            }
            return actualBytes;
        }

        private static ByteBuffer randomBytes(int size, long seed) {
            byte[] bytes = new byte[size];
            SplittableRandom random = new SplittableRandom(seed);
            for (int i = 0; i < size; i += 8) {
                long v = random.nextLong();
                for (int j = 0; j < 8 && i + j < size; j++) {
                    bytes[i + j] = (byte) (v >>> (8 * j));
                }
            }
            return ByteBuffer.wrap(bytes).asReadOnlyBuffer();
        }
    }

    @Benchmark
    @OperationsPerInvocation(8)
    @Threads(1)
    public int put8MiBSerial(Target t) {
        return t.putBig();
    }

    @Benchmark
    @OperationsPerInvocation(8)
    @Threads(8)
    public int put8MiBInFlight8(Target t) {
        return t.putBig();
    }

    @Benchmark
    @OperationsPerInvocation(8)
    @Threads(1)
    public int get8MiBSerial(Target t) {
        return t.getBig();
    }

    @Benchmark
    @OperationsPerInvocation(8)
    @Threads(8)
    public int get8MiBInFlight8(Target t) {
        return t.getBig();
    }

    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    @Threads(1)
    public int put4KiBLatency(Target t) {
        return t.putSmall();
    }

    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    @Threads(1)
    public int get4KiBLatency(Target t) {
        return t.getSmall();
    }

    /** The two ways of talking to the server; each fork loads only one, so calls stay monomorphic. */
    interface Client extends AutoCloseable {
        CompletableFuture<?> put(String key, ByteBuffer data);

        /** Reads the whole object; completes with its length. */
        CompletableFuture<Integer> get(String key);

        @Override
        void close();
    }

    /** The product path: RetryingObjectStore over S3ObjectStore. */
    static final class HyperfileClient implements Client {
        private final ObjectStore store;

        HyperfileClient(S3StoreConfig config) {
            store = new RetryingObjectStore(new S3ObjectStore(config), RetryPolicy.DEFAULT);
        }

        @Override
        public CompletableFuture<?> put(String key, ByteBuffer data) {
            return store.put(key, data);
        }

        @Override
        public CompletableFuture<Integer> get(String key) {
            return store.get(key, ByteRange.all()).thenApply(ObjectData::length);
        }

        @Override
        public void close() {
            store.close();
        }
    }

    /** The baseline: the SDK's CRT client with the settings S3ObjectStore derives from the same config. */
    static final class RawCrtClient implements Client {
        private final S3AsyncClient client;
        private final String bucket;

        RawCrtClient(S3StoreConfig config) {
            bucket = config.bucket();
            client = S3AsyncClient.crtBuilder()
                    .endpointOverride(config.endpoint())
                    .region(Region.of(config.region()))
                    .forcePathStyle(config.forcePathStyle())
                    .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(
                            config.credentials().accessKeyId(), config.credentials().secretAccessKey())))
                    .thresholdInBytes(config.multipartThresholdBytes())
                    .retryConfiguration(r -> r.numRetries(0))
                    .build();
        }

        @Override
        public CompletableFuture<?> put(String key, ByteBuffer data) {
            return client.putObject(r -> r.bucket(bucket).key(key).contentLength((long) data.remaining()),
                    AsyncRequestBody.fromRemainingByteBufferUnsafe(data));
        }

        @Override
        public CompletableFuture<Integer> get(String key) {
            return client.getObject(r -> r.bucket(bucket).key(key), AsyncResponseTransformer.toBytes())
                    .thenApply(bytes -> bytes.asByteArrayUnsafe().length);
        }

        @Override
        public void close() {
            client.close();
        }
    }
}
