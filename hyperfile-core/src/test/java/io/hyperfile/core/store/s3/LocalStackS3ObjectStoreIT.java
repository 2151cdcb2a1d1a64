package io.hyperfile.core.store.s3;

import static io.hyperfile.core.store.StoreTesting.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.hyperfile.core.store.AbstractObjectStoreContractTest;
import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.ObjectStore;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.testcontainers.junit.jupiter.EnabledIfDockerAvailable;

/**
 * The object-store contract against LocalStack, whatever {@code -Ds3.backend} chose for the other S3 tests, so
 * that a machine with Docker always checks the store against a second S3 implementation. Skipped (and reported as
 * skipped) where Docker is not available.
 */
@EnabledIfDockerAvailable
@S3Backend.LocalStackOnly
@ExtendWith(S3Backend.class)
class LocalStackS3ObjectStoreIT extends AbstractObjectStoreContractTest {
    private static S3Backend.Backend backend;
    private static String bucket;

    @BeforeAll
    static void useBucket(S3Backend.ClassBucket b) {
        assertEquals("localstack", b.backend().kind());
        backend = b.backend();
        bucket = b.name();
    }

    @Override
    protected ObjectStore createStore() {
        return new S3ObjectStore(backend.storeConfig(bucket).build());
    }

    @Test
    void zeroByteObjectUnderWhenRequiredChecksums() {
        try (S3ObjectStore s = new S3ObjectStore(backend.storeConfig(bucket)
                .checksumMode(S3StoreConfig.ChecksumMode.WHEN_REQUIRED).build())) {
            await(s.put(k("zero"), ByteBuffer.allocate(0)));
            assertEquals(0, await(s.get(k("zero"), ByteRange.all())).objectSize());
        }
    }
}
