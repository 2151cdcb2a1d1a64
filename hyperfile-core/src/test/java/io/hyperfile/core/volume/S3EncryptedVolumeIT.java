package io.hyperfile.core.volume;

import static io.hyperfile.core.store.StoreTesting.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.crypto.EncryptingObjectStore;
import io.hyperfile.core.crypto.KeyException;
import io.hyperfile.core.crypto.LocalKeySource;
import io.hyperfile.core.crypto.TestEncodings;
import io.hyperfile.core.encoding.SegmentEncoding;
import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.Exceptions;
import io.hyperfile.core.store.FailureCategory;
import io.hyperfile.core.store.ObjectInfo;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.store.RetryPolicy;
import io.hyperfile.core.store.RetryingObjectStore;
import io.hyperfile.core.store.StorageException;
import io.hyperfile.core.store.fault.FaultAction;
import io.hyperfile.core.store.fault.FaultRule;
import io.hyperfile.core.store.fault.FlakyObjectStore;
import io.hyperfile.core.store.s3.S3Backend;
import io.hyperfile.core.store.s3.S3ObjectStore;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Random;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Encrypted, compressed volumes on S3 (LocalStack with Docker, embedded S3Proxy without): the volume model with
 * crashes and reopens while the store fails requests now and then (before or after applying them), a wrong key
 * refused, and no plaintext in the bucket.
 */
@ExtendWith(S3Backend.class)
class S3EncryptedVolumeIT {
    private static final AtomicInteger PREFIXES = new AtomicInteger();
    private static final SegmentEncoding ENCODING = TestEncodings.parse("lz4+aes-256-gcm");
    private static S3Backend.Backend backend;
    private static String bucket;

    @BeforeAll
    static void useBucket(S3Backend.ClassBucket b) {
        backend = b.backend();
        bucket = b.name();
    }

    private static String prefix() {
        return "enc-" + System.nanoTime() + "-" + PREFIXES.incrementAndGet();
    }

    @Test
    void theModelHoldsOnS3WhileRequestsFail() {
        FlakyObjectStore flaky = new FlakyObjectStore(new S3ObjectStore(backend.storeConfig(bucket).build()));
        AtomicInteger n = new AtomicInteger();
        FaultRule gets = flaky.add(FaultRule.on(FlakyObjectStore.Op.GET, ".*", i -> i % 9 == 0,
                FaultAction.fail(() -> new StorageException(null, FailureCategory.TRANSIENT, "injected 503 #" + n.incrementAndGet()))));
        FaultRule writes = flaky.add(FaultRule.on(EnumSet.of(FlakyObjectStore.Op.PUT, FlakyObjectStore.Op.CREATE), ".*",
                i -> i % 7 == 0, FaultAction.failAfterApplying(() -> new StorageException(null, FailureCategory.TRANSIENT,
                        "injected timeout after the write landed"))));
        try (ObjectStore store = new EncryptingObjectStore(new RetryingObjectStore(flaky, RetryPolicy.DEFAULT), TestEncodings.key())) {
            new VolumeModelRunner(4 << 20, 512, 64 + 160 + 64 * 516, 8 + 4 * 43, 256 << 10).withEncoding(ENCODING)
                    .run(store, prefix(), 20261206L, Integer.getInteger("hyperfile.store-model.steps", 200));
        }
        assertTrue(gets.acted() > 0 && writes.acted() > 0, "faults were injected: " + gets.acted() + " GETs, "
                + writes.acted() + " writes");
    }

    @Test
    void aWrongKeyReadsNothingAndTheBucketHoldsNoPlaintext() {
        String prefix = prefix();
        byte[] data = new byte[3 << 20];
        Random r = new Random(5);
        for (int i = 0; i < data.length; i++) {
            data[i] = i % 4 == 0 ? (byte) r.nextInt() : (byte) (i >> 12);
        }
        try (ObjectStore s3 = new S3ObjectStore(backend.storeConfig(bucket).build())) {
            ObjectStore store = new EncryptingObjectStore(s3, TestEncodings.key());
            await(Volume.create(store, prefix, VolumeOptions.ofSize(8 << 20).withEncoding(ENCODING), Clock.systemUTC()));
            Volume v = await(Volume.open(store, prefix, "w", VolumeConfig.DEFAULT));
            await(v.write(4096, ByteBuffer.wrap(data)));
            await(v.close());

            byte[] other = new byte[32];
            other[0] = 1;
            ObjectStore wrong = new EncryptingObjectStore(s3, new LocalKeySource(other, "key file other"));
            CompletionException e = assertThrows(CompletionException.class,
                    () -> Volume.open(wrong, prefix, "x", VolumeConfig.DEFAULT).join());
            assertInstanceOf(KeyException.class, Exceptions.unwrap(e));
            assertTrue(Exceptions.unwrap(e).getMessage().startsWith("volume " + prefix + ": wrong key"),
                    Exceptions.unwrap(e).getMessage());

            byte[] probe = Arrays.copyOfRange(data, 1 << 20, (1 << 20) + 24);
            for (ObjectInfo o : await(s3.listAll(prefix + "/", null))) {
                byte[] stored = await(s3.get(o.key(), ByteRange.all())).toByteArray();
                for (int i = 0; i + probe.length <= stored.length; i++) {
                    assertFalse(Arrays.equals(stored, i, i + probe.length, probe, 0, probe.length),
                            o.key() + " holds plaintext at " + i);
                }
            }
            Volume again = await(Volume.open(store, prefix, "r", VolumeConfig.DEFAULT));
            ByteBuffer got = ByteBuffer.allocate(data.length);
            await(again.read(4096, got));
            assertArrayEquals(data, got.array());
            again.abort();
        }
    }
}
