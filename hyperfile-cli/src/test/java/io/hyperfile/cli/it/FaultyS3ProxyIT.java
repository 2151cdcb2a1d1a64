package io.hyperfile.cli.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.cli.it.FaultyS3Proxy.Fault;
import io.hyperfile.cli.it.FaultyS3Proxy.Rates;
import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.Exceptions;
import io.hyperfile.core.store.FailureCategory;
import io.hyperfile.core.store.ObjectNotFoundException;
import io.hyperfile.core.store.StorageException;
import io.hyperfile.core.store.s3.S3Backend;
import io.hyperfile.core.store.s3.S3ObjectStore;
import java.nio.ByteBuffer;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The soak's fault proxy, checked with the engine's own S3 client ({@link S3ObjectStore}, no retries) against the
 * embedded S3Proxy: without faults every operation passes through unchanged; each fault kind at rate 1 gives the
 * failure it stands for, and applied-then-500 really applies the request while the client sees an error.
 */
class FaultyS3ProxyIT {
    private static final long STALL_MILLIS = 120_000;
    private static S3Backend.Backend s3;
    private String bucket;
    private FaultyS3Proxy proxy;
    private S3ObjectStore viaProxy;
    private S3ObjectStore direct;

    @BeforeAll
    static void startS3Proxy() {
        s3 = S3Backend.startEmbeddedS3Proxy();
    }

    @AfterAll
    static void stopS3Proxy() {
        if (s3 != null) {
            s3.close();
        }
    }

    @BeforeEach
    void setUp() throws Exception {
        bucket = s3.createBucket("fault-proxy");
        proxy = new FaultyS3Proxy(s3.endpoint().uri(), 42, STALL_MILLIS);
        viaProxy = new S3ObjectStore(s3.storeConfig(bucket).endpoint(proxy.endpoint()).build());
        direct = new S3ObjectStore(s3.storeConfig(bucket).build());
    }

    @AfterEach
    void tearDown() throws Exception {
        viaProxy.close();
        direct.close();
        proxy.close();
        s3.deleteBucket(bucket);
    }

    @Test
    void withoutFaultsEveryOperationPassesThrough() throws Exception {
        byte[] big = new byte[3 << 20];
        new Random(1).nextBytes(big);
        viaProxy.create("a/big", ByteBuffer.wrap(big)).get(30, TimeUnit.SECONDS);
        viaProxy.put("a/small", ByteBuffer.wrap(new byte[] {1, 2, 3})).get(30, TimeUnit.SECONDS);
        assertArrayEquals(big, bytes(viaProxy.get("a/big", ByteRange.all()).get(30, TimeUnit.SECONDS).data()));
        assertEquals(3, viaProxy.head("a/small").get(30, TimeUnit.SECONDS).size());
        assertEquals(2, viaProxy.list("a/", null, 100).get(30, TimeUnit.SECONDS).objects().size());
        viaProxy.delete("a/small").get(30, TimeUnit.SECONDS);
        assertNull(viaProxy.head("a/small").get(30, TimeUnit.SECONDS));
        Throwable missing = failure(viaProxy.get("a/small", ByteRange.all()));
        assertInstanceOf(ObjectNotFoundException.class, missing, String.valueOf(missing));
        assertEquals(0, proxy.injected().values().stream().mapToLong(Long::longValue).sum());
        assertTrue(proxy.requests() >= 6, "requests seen: " + proxy.requests());
    }

    @Test
    void slowDownIsThrottledAndNotApplied() throws Exception {
        assertFailsWithoutApplying(new Rates(1, 0, 0, 0, 0, 0), Fault.SLOW_DOWN, FailureCategory.THROTTLED, "throttling");
    }

    @Test
    void internalErrorIsTransientAndNotApplied() throws Exception {
        assertFailsWithoutApplying(new Rates(0, 1, 0, 0, 0, 0), Fault.INTERNAL_ERROR, FailureCategory.TRANSIENT, "InternalError");
    }

    @Test
    void resetIsTransientAndNotApplied() throws Exception {
        assertFailsWithoutApplying(new Rates(0, 0, 1, 0, 0, 0), Fault.RESET, FailureCategory.TRANSIENT, "");
    }

    @Test
    void appliedThen500FailsButTheObjectIsThere() throws Exception {
        proxy.setRates(new Rates(0, 0, 0, 1, 0, 0));
        Throwable e = failure(viaProxy.create("k", ByteBuffer.wrap(new byte[] {7})));
        StorageException se = assertInstanceOf(StorageException.class, e, e.toString());
        assertEquals(FailureCategory.TRANSIENT, se.category(), se.toString());
        assertEquals(1, direct.head("k").get(30, TimeUnit.SECONDS).size());
        // The CRT client retries 5xx answers itself (below the SDK's retry policy): at least one was injected.
        assertTrue(proxy.injected(Fault.APPLIED_THEN_500) >= 1, proxy.injected().toString());
    }

    @Test
    void aStallHoldsTheAnswerUntilReleased() throws Exception {
        proxy.setRates(new Rates(0, 0, 0, 0, 1, 1));
        CompletableFuture<Void> stalled = viaProxy.create("k", ByteBuffer.wrap(new byte[] {7}));
        // The server has applied it; the client still waits for the answer.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (direct.head("k").get(30, TimeUnit.SECONDS) == null) {
            assertTrue(System.nanoTime() < deadline, "the stalled request never reached the server");
        }
        assertFalse(stalled.isDone(), "the answer was not held");
        assertEquals(1, proxy.injected(Fault.STALL));
        // The cap (1 stall) is reached: the next request passes.
        viaProxy.put("k2", ByteBuffer.wrap(new byte[] {8})).get(30, TimeUnit.SECONDS);
        assertFalse(stalled.isDone(), "the answer was released early");
        proxy.releaseStalls();
        stalled.get(30, TimeUnit.SECONDS);
    }

    /**
     * The create fails retryably, in {@code category}, or (the CRT client reports some error answers as client
     * failures, which the engine then classes TRANSIENT) with {@code evidence} in the message; nothing is stored.
     */
    private void assertFailsWithoutApplying(Rates rates, Fault kind, FailureCategory category, String evidence)
            throws Exception {
        proxy.setRates(rates);
        Throwable e = failure(viaProxy.create("k", ByteBuffer.wrap(new byte[] {7})));
        StorageException se = assertInstanceOf(StorageException.class, e, String.valueOf(e));
        assertTrue(se.isRetryable(), se.toString());
        assertTrue(category == se.category() || se.getMessage().contains(evidence), se.toString());
        assertNull(direct.head("k").get(30, TimeUnit.SECONDS), "the request was applied");
        assertTrue(proxy.injected(kind) >= 1, proxy.injected().toString());
    }

    /** The unwrapped failure of {@code f}, or null if it succeeds. */
    private static Throwable failure(CompletableFuture<?> f) throws InterruptedException, TimeoutException {
        try {
            f.get(30, TimeUnit.SECONDS);
            return null;
        } catch (ExecutionException e) {
            return Exceptions.unwrap(e);
        }
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.duplicate().get(a);
        return a;
    }

    @Test
    void badRatesAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Rates(0.6, 0.6, 0, 0, 0, 0));
        assertEquals("fault rates must sum to at most 1. sum=1.2", e.getMessage());
    }
}
