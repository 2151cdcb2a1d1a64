package io.hyperfile.core.store.s3;

import static io.hyperfile.core.store.StoreTesting.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.FailureCategory;
import io.hyperfile.core.store.ObjectData;
import io.hyperfile.core.store.StorageException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The CRT client's stall detection, as {@link S3StoreConfig} configures it, against a server that accepts
 * connections, reads requests and never answers: the request fails TRANSIENT after about the configured timeout,
 * while the same request without stall detection is still waiting.
 */
class S3StallDetectionIT {
    private ServerSocket server;
    private final List<Socket> accepted = new CopyOnWriteArrayList<>();

    @BeforeEach
    void startSilentServer() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(() -> {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    accepted.add(s);
                    Thread reader = new Thread(() -> drain(s), "silent-server-read");
                    reader.setDaemon(true);
                    reader.start();
                } catch (IOException e) {
                    return;
                }
            }
        }, "silent-server-accept");
        t.setDaemon(true);
        t.start();
    }

    private static void drain(Socket s) {
        byte[] buf = new byte[8192];
        try (InputStream in = s.getInputStream()) {
            while (in.read(buf) >= 0) {
                // read and never answer
            }
        } catch (IOException e) {
            // closed
        }
    }

    @AfterEach
    void stopServer() throws IOException {
        server.close();
        for (Socket s : accepted) {
            s.close();
        }
    }

    private S3StoreConfig.Builder config() {
        return S3StoreConfig.builder("stall").endpoint(URI.create("http://127.0.0.1:" + server.getLocalPort()))
                .region("us-east-1").forcePathStyle(true).credentials("AK", "SK");
    }

    @Test
    void aStalledRequestFailsTransientAfterTheMinimumThroughputTimeout() {
        try (S3ObjectStore watched = new S3ObjectStore(config().minThroughput(1024, Duration.ofSeconds(4)).build());
                S3ObjectStore unwatched = new S3ObjectStore(config().minThroughput(0, Duration.ofSeconds(2)).build())) {
            CompletableFuture<ObjectData> waitsForever = unwatched.get("k", ByteRange.of(0, 10));
            long start = System.nanoTime();
            StorageException e = failure(StorageException.class, watched.get("k", ByteRange.of(0, 10)));
            long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
            assertEquals(FailureCategory.TRANSIENT, e.category(), e.getMessage());
            assertTrue(e.getMessage().startsWith("GetObject k"), e.getMessage());
            assertTrue(elapsedMillis >= 1_900 && elapsedMillis < 30_000, "failed after " + elapsedMillis + " ms");
            assertFalse(waitsForever.isDone(), "without stall detection the request is still waiting");
            assertTrue(accepted.size() >= 2, "both clients reached the server");
        }
    }
}
