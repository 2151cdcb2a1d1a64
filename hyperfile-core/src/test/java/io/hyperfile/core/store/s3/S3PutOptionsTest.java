package io.hyperfile.core.store.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.store.s3.S3PutOptions.Sse;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;
import software.amazon.awssdk.services.s3.model.StorageClass;

class S3PutOptionsTest {

    private static PutObjectRequest request(S3PutOptions options) {
        return options.apply(PutObjectRequest.builder().bucket("b").key("k").contentLength(3L)).build();
    }

    @Test
    void theDefaultAddsNoHeader() {
        PutObjectRequest r = request(S3PutOptions.DEFAULT);
        assertNull(r.serverSideEncryption());
        assertNull(r.ssekmsKeyId());
        assertNull(r.storageClass());
        assertTrue(S3PutOptions.DEFAULT.isDefault());
        assertEquals(S3PutOptions.DEFAULT, S3PutOptions.fromMap(Map.of()));
        assertEquals(S3PutOptions.DEFAULT, S3PutOptions.fromMap(Map.of("s3.sse", "none")));
    }

    @Test
    void sseS3AndStorageClassAreSetOnTheRequest() {
        S3PutOptions o = S3PutOptions.fromMap(Map.of("s3.sse", "AES256", "s3.storage-class", " standard_ia "));
        PutObjectRequest r = request(o);
        assertEquals(ServerSideEncryption.AES256, r.serverSideEncryption());
        assertNull(r.ssekmsKeyId());
        assertEquals(StorageClass.STANDARD_IA, r.storageClass());
        assertEquals("b", r.bucket(), "apply leaves the rest of the request alone");
        assertEquals(3L, r.contentLength());
        assertFalse(o.isDefault());
    }

    @Test
    void sseKmsWithAndWithoutAKey() {
        PutObjectRequest withKey = request(S3PutOptions.fromMap(Map.of("s3.sse", "aws:kms", "s3.sse-kms-key-id",
                "arn:aws:kms:us-east-1:111122223333:key/1234")));
        assertEquals(ServerSideEncryption.AWS_KMS, withKey.serverSideEncryption());
        assertEquals("arn:aws:kms:us-east-1:111122223333:key/1234", withKey.ssekmsKeyId());
        assertNull(withKey.storageClass());

        PutObjectRequest bucketKey = request(new S3PutOptions(Sse.AWS_KMS, null, StorageClass.INTELLIGENT_TIERING));
        assertEquals(ServerSideEncryption.AWS_KMS, bucketKey.serverSideEncryption());
        assertNull(bucketKey.ssekmsKeyId(), "no key id: S3 uses the bucket's default KMS key");
        assertEquals(StorageClass.INTELLIGENT_TIERING, bucketKey.storageClass());
    }

    @Test
    void storageClassAloneLeavesEncryptionToTheBucket() {
        PutObjectRequest r = request(new S3PutOptions(Sse.NONE, null, StorageClass.GLACIER_IR));
        assertNull(r.serverSideEncryption());
        assertEquals(StorageClass.GLACIER_IR, r.storageClass());
    }

    @Test
    void rejectsBadValuesNamingTheKey() {
        assertEquals("s3.sse-kms-key-id needs s3.sse=aws:kms. s3.sse=none", assertThrows(
                IllegalArgumentException.class, () -> new S3PutOptions(Sse.NONE, "k1", null)).getMessage());
        assertEquals("s3.sse-kms-key-id must not be blank (leave it out for the bucket's default KMS key)",
                assertThrows(IllegalArgumentException.class, () -> new S3PutOptions(Sse.AWS_KMS, " ", null))
                        .getMessage());
        assertEquals("s3.sse must be none, aes256 or aws:kms. value=aws:kms:dsse",
                assertThrows(IllegalArgumentException.class, () -> Sse.parse("aws:kms:dsse")).getMessage());
        assertEquals("s3.storage-class GLACIER is an archive class: its objects cannot be read without a restore "
                + "(GLACIER_IR can). value=glacier", assertThrows(IllegalArgumentException.class,
                        () -> S3PutOptions.parseStorageClass("glacier")).getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> new S3PutOptions(Sse.NONE, null, StorageClass.DEEP_ARCHIVE));
        assertThrows(IllegalArgumentException.class,
                () -> new S3PutOptions(Sse.NONE, null, StorageClass.UNKNOWN_TO_SDK_VERSION));
        String unknown = assertThrows(IllegalArgumentException.class,
                () -> S3PutOptions.parseStorageClass("STANDARD-IA")).getMessage();
        assertTrue(unknown.startsWith("s3.storage-class must be an S3 storage class, one of ")
                && unknown.contains("EXPRESS_ONEZONE") && !unknown.contains("DEEP_ARCHIVE")
                && unknown.endsWith(". value=STANDARD-IA"), unknown);
    }

    /**
     * {@code S3ObjectStore.putRequest} is what every object write of the store is built with: in the default
     * checksum mode it asks for a CRC32C upload checksum (the CRT client computes it with the processor's CRC
     * instruction); the other modes leave the algorithm to the SDK. The put options are still applied.
     */
    @Test
    void theDefaultChecksumModeAsksForCrc32cAndTheOthersLeaveItToTheSdk() {
        S3StoreConfig.Builder config = S3StoreConfig.builder("b").putOptions(new S3PutOptions(Sse.AES256, null, null));
        PutObjectRequest uploads = S3ObjectStore.putRequest(config.build(), PutObjectRequest.builder().key("k")).build();
        assertEquals(ChecksumAlgorithm.CRC32_C, uploads.checksumAlgorithm());
        assertEquals(ServerSideEncryption.AES256, uploads.serverSideEncryption());
        for (S3StoreConfig.ChecksumMode mode : new S3StoreConfig.ChecksumMode[] {
                S3StoreConfig.ChecksumMode.SDK_DEFAULT, S3StoreConfig.ChecksumMode.WHEN_REQUIRED}) {
            PutObjectRequest r = S3ObjectStore.putRequest(config.checksumMode(mode).build(),
                    PutObjectRequest.builder().key("k")).build();
            assertNull(r.checksumAlgorithm(), mode.toString());
            assertEquals(ServerSideEncryption.AES256, r.serverSideEncryption(), mode.toString());
        }
    }
}
