package io.hyperfile.core.store.s3;

import static io.hyperfile.core.store.StoreTesting.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.store.AbstractObjectStoreContractTest;
import io.hyperfile.core.store.ObjectStore;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The object-store contract in directory-bucket (S3 Express) mode, with {@code WHEN_REQUIRED} checksums.
 *
 * <p>On S3Proxy the bucket lists like a real directory bucket ({@link S3SemanticsBlobStore}: shuffled
 * order, StartAfter ignored, prefixes must end in '/'), so the store's client-side filtering, ordering and paging
 * are what make the listing tests pass. On LocalStack the mode is forced on a general-purpose bucket, which still
 * runs the emulation but over ordered input.
 */
@ExtendWith(S3Backend.class)
class S3DirectoryBucketListingIT extends AbstractObjectStoreContractTest {
    private static S3Backend.Backend backend;
    private static String bucket;

    @BeforeAll
    static void createBucket(S3Backend.Backend b) {
        backend = b;
        bucket = b.kind().equals("s3proxy") ? b.createSimulatedDirectoryBucket("express")
                : b.createBucket("express-forced");
    }

    @AfterAll
    static void deleteBucket() {
        if (bucket != null) {
            backend.deleteBucket(bucket);
        }
    }

    @Override
    protected ObjectStore createStore() {
        return new S3ObjectStore(backend.storeConfig(bucket)
                .bucketType(S3StoreConfig.BucketType.DIRECTORY)
                .checksumMode(S3StoreConfig.ChecksumMode.WHEN_REQUIRED)
                .build());
    }

    /** Shows that the simulated bucket really is unordered and strict, so the contract above proves something. */
    @Test
    void simulatedDirectoryBucketIsUnorderedAndRejectsPartialPrefixes() {
        Assumptions.assumeTrue(backend.kind().equals("s3proxy"),
                "directory-bucket listing is simulated only by the embedded S3Proxy; backend is " + backend.kind());
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            keys.add(k(String.format("raw/%02d", i)));
        }
        keys.forEach(key -> await(store.put(key, ByteBuffer.wrap(new byte[] {1}))));
        S3Backend.Endpoint ep = backend.endpoint();
        try (S3AsyncClient raw = S3AsyncClient.crtBuilder().endpointOverride(ep.uri())
                .forcePathStyle(true).region(Region.of(ep.region()))
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(ep.accessKey(), ep.secretKey())))
                .build()) {
            List<String> listed = raw.listObjectsV2(r -> r.bucket(bucket).prefix(k("raw/"))).join().contents()
                    .stream().map(S3Object::key).toList();
            assertEquals(40, listed.size());
            assertNotEquals(keys, listed, "the simulated listing should not come back sorted");
            List<String> afterIgnored = raw.listObjectsV2(r -> r.bucket(bucket).prefix(k("raw/"))
                    .startAfter(k("raw/30"))).join().contents().stream().map(S3Object::key).toList();
            assertEquals(40, afterIgnored.size(), "StartAfter is ignored");
            Throwable partial = assertThrows(Exception.class,
                    () -> raw.listObjectsV2(r -> r.bucket(bucket).prefix(k("raw/0"))).join());
            S3Exception e = (S3Exception) partial.getCause();
            assertEquals("InvalidArgument", e.awsErrorDetails().errorCode());
        }
        // The store hides all of it.
        assertEquals(keys.subList(31, 40),
                S3ObjectStoreIT.keys(await(store.listAll(k("raw/"), k("raw/30")))));
        assertEquals(keys.subList(0, 10), S3ObjectStoreIT.keys(await(store.listAll(k("raw/0"), null))));
        assertTrue(store.capabilities().conditionalCreate());
    }
}
