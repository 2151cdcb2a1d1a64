package io.hyperfile.core.store.s3;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * Test-scope launcher for benchmarks ({@code bench/run.sh s3}): a standalone S3Proxy configured exactly as the
 * tests' embedded one ({@link S3Backend}: transient in-memory store, atomic conditional PUTs, S3 key semantics,
 * fixed credentials {@code hyperfile-test-access}/{@code hyperfile-test-secret}, region us-east-1), with every
 * request counted by operation and bucket ({@link CountingBlobStore}). Like the tests' one it refuses multipart
 * uploads (501 NotImplemented), so a client must keep its objects under its multipart threshold.
 *
 * <pre>
 * java -cp ... io.hyperfile.core.store.s3.S3ProxyBenchMain --port 10933 --counters-port 10934 [--bucket NAME]...
 *      [--base-dir DIR]
 * </pre>
 * {@code --base-dir} keeps the objects in files under DIR ({@code filesystem-nio2}, e.g. on tmpfs) instead of the
 * tests' in-heap file system, which holds at most 4 GiB (a full s3 run writes more).
 * Creates the buckets, prints {@code listening on PORT counters on PORT} once both are bound, and serves until
 * killed. {@code GET http://127.0.0.1:COUNTERS/counters} answers one JSON object,
 * {@code {"bucket OP": {"requests": N, "bytes": N}, ...}}, with the totals since start.
 */
public final class S3ProxyBenchMain {
    private S3ProxyBenchMain() {
    }

    public static void main(String[] args) throws Exception {
        int port = 0;
        int countersPort = 0;
        List<String> buckets = new ArrayList<>();
        Path baseDir = null;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--port" -> port = Integer.parseInt(args[i + 1]);
                case "--counters-port" -> countersPort = Integer.parseInt(args[i + 1]);
                case "--bucket" -> buckets.add(args[i + 1]);
                case "--base-dir" -> baseDir = Path.of(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (baseDir != null) {
            Files.createDirectories(baseDir);
        }
        CountingBlobStore[] counting = new CountingBlobStore[1];
        S3Backend.Backend backend = S3Backend.startS3Proxy(port, baseDir, store -> counting[0] = new CountingBlobStore(store));
        for (String bucket : buckets) {
            backend.admin().createBucket(r -> r.bucket(bucket)).join();
        }
        HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", countersPort), 0);
        http.createContext("/counters", exchange -> {
            byte[] body = json(counting[0].snapshot()).getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        http.start();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            http.stop(0);
            backend.close();
            stopped.countDown();
        }));
        PrintStream out = System.out;
        out.println("listening on " + backend.endpoint().uri().getPort() + " counters on " + http.getAddress().getPort());
        out.flush();
        stopped.await();
    }

    static String json(Map<String, CountingBlobStore.Count> counts) {
        StringBuilder sb = new StringBuilder("{");
        counts.forEach((k, v) -> sb.append(sb.length() > 1 ? "," : "").append('"').append(k).append("\":{\"requests\":")
                .append(v.requests()).append(",\"bytes\":").append(v.bytes()).append('}'));
        return sb.append('}').toString();
    }
}
