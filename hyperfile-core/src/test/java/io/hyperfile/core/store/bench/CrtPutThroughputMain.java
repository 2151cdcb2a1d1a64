package io.hyperfile.core.store.bench;

import java.io.PrintStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;

/**
 * Raw PUT throughput of the AWS SDK CRT client, for {@code bench/run.sh s3}: the ceiling Hyperfile's sequential
 * writes are compared with. The client is built with the settings {@code S3ObjectStore} uses when the
 * {@code hyperfile} command opens an {@code s3://} store ({@code crtBuilder()}, {@code numRetries(0)}, path-style
 * as given, endpoint and region as given, the default credential chain, SDK-default multipart threshold, a 2-thread
 * completion executor), and PUTs one segment-sized object per request with
 * {@code AsyncRequestBody.fromRemainingByteBufferUnsafe} as the store does, with the upload
 * checksum algorithm the store sends in its default checksum mode (CRC32C, {@code S3ObjectStore.putRequest}).
 * {@code --checksum-algorithm crc32} sends the SDK's default CRC32 instead, to measure what the store's choice saves.
 *
 * <pre>
 * java -cp ... io.hyperfile.core.store.bench.CrtPutThroughputMain --endpoint http://127.0.0.1:10933 --bucket B
 *      [--region us-east-1] [--path-style true] [--seconds 10] [--in-flight 1] [--object-bytes 8388608] [--keys 16]
 *      [--checksum-algorithm crc32c|crc32]
 * </pre>
 * Keeps {@code --in-flight} PUTs outstanding for {@code --seconds}, rewriting {@code --keys} keys in turn (so the
 * server's memory stays bounded), then prints one JSON line: requests, bytes, seconds, MiB/s.
 */
public final class CrtPutThroughputMain {
    private CrtPutThroughputMain() {
    }

    public static void main(String[] args) throws Exception {
        String endpoint = null;
        String bucket = null;
        String region = "us-east-1";
        boolean pathStyle = true;
        double seconds = 10;
        int inFlight = 1;
        int objectBytes = 8 << 20;
        int keys = 16;
        ChecksumAlgorithm checksum = ChecksumAlgorithm.CRC32_C;
        for (int i = 0; i + 1 < args.length; i += 2) {
            String v = args[i + 1];
            switch (args[i]) {
                case "--endpoint" -> endpoint = v;
                case "--bucket" -> bucket = v;
                case "--region" -> region = v;
                case "--path-style" -> pathStyle = Boolean.parseBoolean(v);
                case "--seconds" -> seconds = Double.parseDouble(v);
                case "--in-flight" -> inFlight = Integer.parseInt(v);
                case "--object-bytes" -> objectBytes = Integer.parseInt(v);
                case "--keys" -> keys = Integer.parseInt(v);
                case "--checksum-algorithm" -> checksum = switch (v) {
                    case "crc32c" -> ChecksumAlgorithm.CRC32_C;
                    case "crc32" -> ChecksumAlgorithm.CRC32;
                    default -> throw new IllegalArgumentException("--checksum-algorithm must be crc32c or crc32");
                };
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (endpoint == null || bucket == null) {
            throw new IllegalArgumentException("--endpoint and --bucket are required");
        }
        AtomicInteger threads = new AtomicInteger();
        ExecutorService completion = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "hf-s3-complete-" + threads.getAndIncrement());
            t.setDaemon(true);
            return t;
        });
        byte[] bytes = new byte[objectBytes];
        SplittableRandom random = new SplittableRandom(1);
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) random.nextInt(256);
        }
        ByteBuffer data = ByteBuffer.wrap(bytes).asReadOnlyBuffer();
        try (S3AsyncClient client = S3AsyncClient.crtBuilder()
                .futureCompletionExecutor(completion)
                .retryConfiguration(r -> r.numRetries(0))
                .forcePathStyle(pathStyle)
                .endpointOverride(URI.create(endpoint))
                .region(Region.of(region))
                .build()) {
            String b = bucket;
            int k = keys;
            ChecksumAlgorithm c = checksum;
            Function<String, CompletableFuture<?>> put = key -> put(client, b, key, data, c);
            // Warm-up: one PUT (connection, credentials, JIT of the request path).
            put.apply("crt-put/warmup").join();
            AtomicLong requests = new AtomicLong();
            AtomicLong next = new AtomicLong();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            long start = System.nanoTime();
            long deadline = start + (long) (seconds * 1e9);
            CompletableFuture<?>[] chains = new CompletableFuture<?>[inFlight];
            for (int i = 0; i < inFlight; i++) {
                chains[i] = chain(put, k, deadline, requests, next, failure);
            }
            CompletableFuture.allOf(chains).join();
            double elapsed = (System.nanoTime() - start) / 1e9;
            if (failure.get() != null) {
                throw new IllegalStateException("PUT failed", failure.get());
            }
            long total = requests.get() * (long) objectBytes;
            PrintStream out = System.out;
            out.printf("{\"inFlight\":%d,\"objectBytes\":%d,\"requests\":%d,\"bytes\":%d,\"seconds\":%.3f,\"mibPerSec\":%.2f}%n",
                    inFlight, objectBytes, requests.get(), total, elapsed, total / elapsed / (1 << 20));
        } finally {
            completion.shutdown();
        }
    }

    /** One chain of PUTs, each issued when the previous completes, until the deadline; completes after the last. */
    private static CompletableFuture<Void> chain(Function<String, CompletableFuture<?>> put, int keys, long deadline,
            AtomicLong requests, AtomicLong next, AtomicReference<Throwable> failure) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        step(put, keys, deadline, requests, next, failure, done);
        return done;
    }

    private static void step(Function<String, CompletableFuture<?>> put, int keys, long deadline, AtomicLong requests,
            AtomicLong next, AtomicReference<Throwable> failure, CompletableFuture<Void> done) {
        if (System.nanoTime() >= deadline || failure.get() != null) {
            done.complete(null);
            return;
        }
        put.apply("crt-put/" + next.getAndIncrement() % keys).whenComplete((r, e) -> {
            if (e != null) {
                failure.compareAndSet(null, e);
            } else {
                requests.incrementAndGet();
            }
            step(put, keys, deadline, requests, next, failure, done);
        });
    }

    private static CompletableFuture<?> put(S3AsyncClient client, String bucket, String key, ByteBuffer data,
            ChecksumAlgorithm checksum) {
        ByteBuffer d = data.duplicate();
        return client.putObject(r -> r.bucket(bucket).key(key).contentLength((long) d.remaining())
                        .checksumAlgorithm(checksum),
                AsyncRequestBody.fromRemainingByteBufferUnsafe(d));
    }
}
