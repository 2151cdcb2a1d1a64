package io.hyperfile.core.store.s3;

import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;
import software.amazon.awssdk.services.s3.model.StorageClass;

/**
 * What every object write of an {@link S3ObjectStore} asks S3 for besides the bytes: server-side encryption
 * ({@value S3StoreConfig#SSE}, {@value S3StoreConfig#SSE_KMS_KEY_ID}) and the storage class
 * ({@value S3StoreConfig#STORAGE_CLASS}). {@link #apply} is the one place that puts them on a request; PUT and
 * conditional create both go through it, and the CRT client copies the headers to CreateMultipartUpload when it
 * uploads a large object in parts. Reads need nothing: S3 decrypts SSE-S3 and SSE-KMS objects by itself.
 *
 * @param sse the server-side encryption S3 applies
 * @param kmsKeyId the KMS key id, alias or ARN for {@link Sse#AWS_KMS}, or null for the bucket's default KMS key
 * @param storageClass the storage class of new objects, or null for the bucket's default (STANDARD on AWS)
 */
public record S3PutOptions(Sse sse, String kmsKeyId, StorageClass storageClass) {
    /** No encryption header, no storage class header: the bucket's defaults. */
    public static final S3PutOptions DEFAULT = new S3PutOptions(Sse.NONE, null, null);

    /** Storage classes whose objects cannot be read without a restore first: a volume stored there is unreadable. */
    private static final Set<StorageClass> ARCHIVE_CLASSES = Set.of(StorageClass.GLACIER, StorageClass.DEEP_ARCHIVE);

    /** The {@value S3StoreConfig#SSE} values. */
    public enum Sse {
        /** No {@code x-amz-server-side-encryption} header: the bucket's default encryption applies. */
        NONE("none", null),
        /** SSE-S3: AES-256 with keys S3 manages. */
        AES256("aes256", ServerSideEncryption.AES256),
        /** SSE-KMS: keys in AWS KMS, the configured one or the bucket's default KMS key. */
        AWS_KMS("aws:kms", ServerSideEncryption.AWS_KMS);

        private final String configValue;
        private final ServerSideEncryption header;

        Sse(String configValue, ServerSideEncryption header) {
            this.configValue = configValue;
            this.header = header;
        }

        /** The value as written in a configuration: {@code none}, {@code aes256} or {@code aws:kms}. */
        public String configValue() {
            return configValue;
        }

        /** Parses a configuration value, ignoring case; {@code AES256} and {@code aws:kms} are S3's own spellings. */
        public static Sse parse(String value) {
            String v = value.trim().toLowerCase(Locale.ROOT);
            for (Sse s : values()) {
                if (s.configValue.equals(v)) {
                    return s;
                }
            }
            throw new IllegalArgumentException(S3StoreConfig.SSE + " must be none, aes256 or aws:kms. value=" + value);
        }
    }

    public S3PutOptions {
        sse = sse == null ? Sse.NONE : sse;
        if (kmsKeyId != null) {
            if (kmsKeyId.isBlank()) {
                throw new IllegalArgumentException(S3StoreConfig.SSE_KMS_KEY_ID
                        + " must not be blank (leave it out for the bucket's default KMS key)");
            }
            if (sse != Sse.AWS_KMS) {
                throw new IllegalArgumentException(S3StoreConfig.SSE_KMS_KEY_ID + " needs " + S3StoreConfig.SSE
                        + "=aws:kms. " + S3StoreConfig.SSE + "=" + sse.configValue);
            }
        }
        if (storageClass != null) {
            checkStorageClass(storageClass, storageClass.toString());
        }
    }

    /** Reads {@value S3StoreConfig#SSE}, {@value S3StoreConfig#SSE_KMS_KEY_ID} and {@value S3StoreConfig#STORAGE_CLASS}. */
    static S3PutOptions fromMap(Map<String, String> settings) {
        String sse = settings.get(S3StoreConfig.SSE);
        String kmsKeyId = settings.get(S3StoreConfig.SSE_KMS_KEY_ID);
        String storageClass = settings.get(S3StoreConfig.STORAGE_CLASS);
        return new S3PutOptions(sse == null ? Sse.NONE : Sse.parse(sse), kmsKeyId == null ? null : kmsKeyId.trim(),
                storageClass == null ? null : parseStorageClass(storageClass));
    }

    /** An S3 storage class name such as {@code STANDARD_IA}, ignoring case; unknown names are rejected. */
    public static StorageClass parseStorageClass(String value) {
        String v = value.trim().toUpperCase(Locale.ROOT);
        StorageClass c = StorageClass.fromValue(v);
        checkStorageClass(c, value);
        return c;
    }

    private static void checkStorageClass(StorageClass c, String value) {
        if (c == null || c == StorageClass.UNKNOWN_TO_SDK_VERSION) {
            Set<String> known = new TreeSet<>();
            StorageClass.knownValues().forEach(k -> known.add(k.toString()));
            known.removeAll(ARCHIVE_CLASSES.stream().map(StorageClass::toString).toList());
            throw new IllegalArgumentException(S3StoreConfig.STORAGE_CLASS + " must be an S3 storage class, one of "
                    + String.join(", ", known) + ". value=" + value);
        }
        if (ARCHIVE_CLASSES.contains(c)) {
            throw new IllegalArgumentException(S3StoreConfig.STORAGE_CLASS + " " + c
                    + " is an archive class: its objects cannot be read without a restore (GLACIER_IR can). value="
                    + value);
        }
    }

    /** Whether this asks for nothing (no header is added). */
    public boolean isDefault() {
        return sse == Sse.NONE && storageClass == null;
    }

    /** Puts the encryption and storage class headers on an object write; returns {@code request}. */
    public PutObjectRequest.Builder apply(PutObjectRequest.Builder request) {
        if (sse.header != null) {
            request.serverSideEncryption(sse.header);
        }
        if (kmsKeyId != null) {
            request.ssekmsKeyId(kmsKeyId);
        }
        if (storageClass != null) {
            request.storageClass(storageClass);
        }
        return request;
    }

    @Override
    public String toString() {
        return "sse=" + sse.configValue + (kmsKeyId == null ? "" : ", sseKmsKeyId=" + kmsKeyId)
                + (storageClass == null ? "" : ", storageClass=" + storageClass);
    }
}
