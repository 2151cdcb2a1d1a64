package io.hyperfile.core.store.s3;

import static io.hyperfile.core.store.StoreTesting.await;
import static io.hyperfile.core.store.StoreTesting.failure;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.FailureCategory;
import io.hyperfile.core.store.StorageException;
import io.hyperfile.core.store.s3.S3PutOptions.Sse;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.blobstore.ForwardingBlobStore;
import org.gaul.s3proxy.blobstore.domain.MultipartUpload;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;
import software.amazon.awssdk.services.s3.model.StorageClass;

/**
 * {@link S3PutOptions} end to end against an embedded S3Proxy of this class's own (whatever {@code s3.backend}
 * says): the store's PUTs and conditional creates carry {@code x-amz-server-side-encryption},
 * {@code x-amz-server-side-encryption-aws-kms-key-id} and {@code x-amz-storage-class}, and the objects read back
 * byte-equal. The headers are checked twice: as S3Proxy parsed them off the wire (a blob store wrapper records the
 * PutObjectRequest each PUT became; the CRT client accepts no SDK interceptor), and as S3Proxy reports them on a
 * HEAD afterwards (it stores both in the object's attributes).
 */
class S3PutOptionsIT {
    private static S3Backend.Backend backend;
    private static RecordingBlobStore recorder;
    private static String bucket;
    private static final Random RANDOM = new Random(14);

    /** Remembers the last PutObjectRequest S3Proxy handed to its blob store, per key. */
    static final class RecordingBlobStore extends ForwardingBlobStore {
        final Map<String, PutObjectRequest> puts = new ConcurrentHashMap<>();
        final Map<String, CreateMultipartUploadRequest> multipartUploads = new ConcurrentHashMap<>();

        RecordingBlobStore(BlobStore delegate) {
            super(delegate);
        }

        @Override
        public PutObjectResponse putBlob(PutObjectRequest request, InputStream content) {
            puts.put(request.key(), request);
            return super.putBlob(request, content);
        }

        @Override
        public MultipartUpload initiateMultipartUpload(CreateMultipartUploadRequest request) {
            multipartUploads.put(request.key(), request);
            return super.initiateMultipartUpload(request);
        }
    }

    @BeforeAll
    static void start() {
        backend = S3Backend.startS3Proxy(0, null, store -> recorder = new RecordingBlobStore(store));
        bucket = backend.createBucket("put-options");
    }

    @AfterAll
    static void stop() {
        if (backend != null) {
            backend.close();
        }
    }

    private static byte[] random(int size) {
        byte[] b = new byte[size];
        RANDOM.nextBytes(b);
        return b;
    }

    private static HeadObjectResponse head(String key) {
        return backend.admin().headObject(r -> r.bucket(bucket).key(key)).join();
    }

    /** Writes one object with put and one with create, reads both back, and returns the two keys. */
    private static String[] writeAndReadBack(S3PutOptions options, String name) {
        String[] keys = {name + "/put", name + "/create"};
        try (S3ObjectStore store = new S3ObjectStore(backend.storeConfig(bucket).putOptions(options).build())) {
            byte[] a = random(3 << 20);
            byte[] b = random(70_001);
            await(store.put(keys[0], ByteBuffer.wrap(a)));
            await(store.create(keys[1], ByteBuffer.wrap(b)));
            assertArrayEquals(a, await(store.get(keys[0], ByteRange.all())).toByteArray());
            assertArrayEquals(b, await(store.get(keys[1], ByteRange.all())).toByteArray());
            byte[] middle = new byte[1000];
            System.arraycopy(a, 1 << 20, middle, 0, middle.length);
            assertArrayEquals(middle, await(store.get(keys[0], ByteRange.of(1 << 20, 1000))).toByteArray());
        }
        return keys;
    }

    @Test
    void sseS3AndStandardIaReachTheServerAndStay() {
        for (String key : writeAndReadBack(new S3PutOptions(Sse.AES256, null, StorageClass.STANDARD_IA), "aes")) {
            PutObjectRequest sent = recorder.puts.get(key);
            assertNotNull(sent, key);
            assertEquals(ServerSideEncryption.AES256, sent.serverSideEncryption(), key);
            assertNull(sent.ssekmsKeyId(), key);
            assertEquals(StorageClass.STANDARD_IA, sent.storageClass(), key);
            HeadObjectResponse stored = head(key);
            assertEquals(ServerSideEncryption.AES256, stored.serverSideEncryption(), key);
            assertEquals(StorageClass.STANDARD_IA, stored.storageClass(), key);
        }
    }

    @Test
    void sseKmsWithAKeyIdAndGlacierInstantRetrieval() {
        String keyId = "arn:aws:kms:us-east-1:111122223333:key/hyperfile-test";
        for (String key : writeAndReadBack(new S3PutOptions(Sse.AWS_KMS, keyId, StorageClass.GLACIER_IR), "kms")) {
            PutObjectRequest sent = recorder.puts.get(key);
            assertEquals(ServerSideEncryption.AWS_KMS, sent.serverSideEncryption(), key);
            assertEquals(keyId, sent.ssekmsKeyId(), key);
            assertEquals(StorageClass.GLACIER_IR, sent.storageClass(), key);
            HeadObjectResponse stored = head(key);
            assertEquals(ServerSideEncryption.AWS_KMS, stored.serverSideEncryption(), key);
            assertEquals(keyId, stored.ssekmsKeyId(), key);
            assertEquals(StorageClass.GLACIER_IR, stored.storageClass(), key);
        }
    }

    /**
     * Real S3 takes SSE-KMS without a key id (the bucket's default KMS key, else the AWS managed {@code aws/s3}
     * key); S3Proxy 4.1's blob store refuses it with 400 InvalidArgument, after the request reached it with the
     * aws:kms header and no key id header. The store reports the refusal as INVALID (not retried).
     */
    @Test
    void sseKmsWithoutAKeyIdSendsNoKeyHeader() {
        try (S3ObjectStore store = new S3ObjectStore(backend.storeConfig(bucket)
                .putOptions(new S3PutOptions(Sse.AWS_KMS, null, null)).build())) {
            StorageException e = failure(StorageException.class, store.put("kms-default", ByteBuffer.wrap(random(10))));
            assertEquals(FailureCategory.INVALID, e.category(), e.toString());
            assertTrue(e.getMessage().contains("HTTP 400 InvalidArgument (Server side encryption with aws:kms requires "
                    + "x-amz-server-side-encryption-aws-kms-key-id.)"), e.getMessage());
            PutObjectRequest sent = recorder.puts.get("kms-default");
            assertEquals(ServerSideEncryption.AWS_KMS, sent.serverSideEncryption());
            assertNull(sent.ssekmsKeyId());
            assertNull(await(store.head("kms-default")), "S3Proxy's blob store refused it: nothing stored");
        }
    }

    /**
     * Above the multipart threshold the CRT client splits the PUT, and its CreateMultipartUpload must carry the
     * headers. The test fixture ({@link S3SemanticsBlobStore}) refuses multipart uploads with 501 NotImplemented,
     * so only the first request is checked here, as it reached S3Proxy; the upload itself fails.
     */
    @Test
    void createMultipartUploadCarriesTheHeadersToo() {
        try (S3ObjectStore store = new S3ObjectStore(backend.storeConfig(bucket).multipartThresholdBytes(5L << 20)
                .minimumPartSizeBytes(5L << 20).putOptions(new S3PutOptions(Sse.AES256, null, StorageClass.ONEZONE_IA))
                .build())) {
            StorageException e = failure(StorageException.class, store.put("multipart", ByteBuffer.wrap(random(12 << 20))));
            assertTrue(e.getMessage().contains("HTTP 501"), e.getMessage());
        }
        CreateMultipartUploadRequest sent = recorder.multipartUploads.get("multipart");
        assertNotNull(sent, "the CRT client uploaded in parts");
        assertEquals(ServerSideEncryption.AES256, sent.serverSideEncryption());
        assertNull(sent.ssekmsKeyId());
        assertEquals(StorageClass.ONEZONE_IA, sent.storageClass());
    }

    @Test
    void theDefaultSendsNeitherHeader() {
        for (String key : writeAndReadBack(S3PutOptions.DEFAULT, "plain")) {
            PutObjectRequest sent = recorder.puts.get(key);
            assertNull(sent.serverSideEncryption(), key);
            assertNull(sent.ssekmsKeyId(), key);
            assertNull(sent.storageClass(), key);
            // Like S3 since January 2023, S3Proxy reports SSE-S3 for objects written without the header.
            assertEquals(ServerSideEncryption.AES256, head(key).serverSideEncryption(), key);
        }
    }
}
