package io.hyperfile.core.store.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.model.StorageClass;

class S3StoreConfigTest {

    @Test
    void onlyTheBucketIsRequiredAndEverythingElseIsTheSdkDefault() {
        S3StoreConfig c = S3StoreConfig.builder("my-bucket").build();
        assertEquals("my-bucket", c.bucket());
        assertEquals("", c.keyPrefix());
        assertNull(c.endpoint());
        assertNull(c.region());
        assertFalse(c.forcePathStyle());
        assertNull(c.credentials());
        assertNull(c.maxConcurrency());
        assertNull(c.targetThroughputGbps());
        assertNull(c.minimumPartSizeBytes());
        assertNull(c.multipartThresholdBytes());
        assertEquals(S3StoreConfig.ChecksumMode.UPLOADS, c.checksumMode());
        assertFalse(c.directoryBucket());
        assertEquals(0, c.keyPrefixBytes());
        assertEquals(Duration.ofSeconds(10), c.connectTimeout());
        assertEquals(1024, c.minThroughputBytesPerSecond());
        assertEquals(Duration.ofSeconds(15), c.minThroughputTimeout());
        assertEquals(S3PutOptions.DEFAULT, c.putOptions());
        assertEquals(c, S3StoreConfig.fromMap(Map.of("s3.bucket", "my-bucket")), "fromMap has the same defaults");
    }

    @Test
    void directoryBucketIsDetectedByNameAndCanBeOverridden() {
        assertTrue(S3StoreConfig.builder("vol--usw2-az1--x-s3").build().directoryBucket());
        assertFalse(S3StoreConfig.builder("vol--usw2-az1--x-s3").bucketType(S3StoreConfig.BucketType.GENERAL_PURPOSE)
                .build().directoryBucket());
        assertTrue(S3StoreConfig.builder("plain").bucketType(S3StoreConfig.BucketType.DIRECTORY).build()
                .directoryBucket());
    }

    @Test
    void fromMapReadsEveryKey() {
        S3StoreConfig c = S3StoreConfig.fromMap(Map.ofEntries(
                Map.entry("s3.bucket", "b"),
                Map.entry("s3.key-prefix", "team/a/"),
                Map.entry("s3.endpoint", "http://127.0.0.1:9000"),
                Map.entry("s3.region", "eu-west-1"),
                Map.entry("s3.force-path-style", "true"),
                Map.entry("s3.access-key-id", "AK"),
                Map.entry("s3.secret-access-key", "SK"),
                Map.entry("s3.session-token", "TOKEN"),
                Map.entry("s3.max-concurrency", "32"),
                Map.entry("s3.target-throughput-gbps", "2.5"),
                Map.entry("s3.minimum-part-size-bytes", "16777216"),
                Map.entry("s3.multipart-threshold-bytes", "1073741824"),
                Map.entry("s3.checksum-mode", "when-required"),
                Map.entry("s3.directory-bucket", "true"),
                Map.entry("s3.connect-timeout-millis", "2500"),
                Map.entry("s3.min-throughput-bytes-per-second", "4096"),
                Map.entry("s3.min-throughput-timeout-seconds", "7"),
                Map.entry("s3.profile", "staging"),
                Map.entry("s3.sse", "aws:kms"),
                Map.entry("s3.sse-kms-key-id", "arn:aws:kms:eu-west-1:111122223333:key/k1"),
                Map.entry("s3.storage-class", "standard_ia"),
                Map.entry("cache.data.size-bytes", "1")));
        assertEquals("team/a/", c.keyPrefix());
        assertEquals(7, c.keyPrefixBytes());
        assertEquals(URI.create("http://127.0.0.1:9000"), c.endpoint());
        assertEquals("eu-west-1", c.region());
        assertTrue(c.forcePathStyle());
        assertEquals(new S3StoreConfig.Credentials("AK", "SK", "TOKEN"), c.credentials());
        assertEquals(32, c.maxConcurrency());
        assertEquals(2.5, c.targetThroughputGbps());
        assertEquals(16L << 20, c.minimumPartSizeBytes());
        assertEquals(1L << 30, c.multipartThresholdBytes());
        assertEquals(S3StoreConfig.ChecksumMode.WHEN_REQUIRED, c.checksumMode());
        assertTrue(c.directoryBucket());
        assertEquals(Duration.ofMillis(2500), c.connectTimeout());
        assertEquals(4096, c.minThroughputBytesPerSecond());
        assertEquals(Duration.ofSeconds(7), c.minThroughputTimeout());
        assertEquals("staging", c.profile());
        assertEquals(new S3PutOptions(S3PutOptions.Sse.AWS_KMS, "arn:aws:kms:eu-west-1:111122223333:key/k1",
                StorageClass.STANDARD_IA), c.putOptions());
        assertTrue(c.toString().endsWith(", sse=aws:kms, sseKmsKeyId=arn:aws:kms:eu-west-1:111122223333:key/k1, "
                + "storageClass=STANDARD_IA]"), c.toString());
        assertEquals(c, c.toBuilder().build(), "toBuilder keeps every setting");
        assertEquals(c, c.toBuilder().build());
        assertEquals(0, S3StoreConfig.fromMap(Map.of("s3.bucket", "b", "s3.min-throughput-bytes-per-second", "0"))
                .minThroughputBytesPerSecond(), "0 turns stall detection off");
    }

    @Test
    void secretsStayOutOfToString() {
        S3StoreConfig c = S3StoreConfig.builder("b")
                .credentials(new S3StoreConfig.Credentials("AKIDEXAMPLE", "very-secret", "session-secret")).build();
        assertTrue(c.toString().contains("AKIDEXAMPLE"), c.toString());
        assertFalse(c.toString().contains("very-secret"), c.toString());
        assertFalse(c.toString().contains("session-secret"), c.toString());
    }

    @Test
    void rejectsBadSettingsWithTheirLimits() {
        assertEquals("bucket must not be blank",
                assertThrows(IllegalArgumentException.class, () -> S3StoreConfig.builder(" ").build()).getMessage());
        assertEquals("keyPrefix must be empty or end with '/'. keyPrefix=team",
                assertThrows(IllegalArgumentException.class,
                        () -> S3StoreConfig.builder("b").keyPrefix("team").build()).getMessage());
        assertThrows(IllegalArgumentException.class, () -> S3StoreConfig.builder("b").keyPrefix("a//").build());
        assertEquals("maxConcurrency must be positive. maxConcurrency=0",
                assertThrows(IllegalArgumentException.class,
                        () -> S3StoreConfig.builder("b").maxConcurrency(0).build()).getMessage());
        assertEquals("minimumPartSizeBytes must be at least 5242880. minimumPartSizeBytes=1024",
                assertThrows(IllegalArgumentException.class,
                        () -> S3StoreConfig.builder("b").minimumPartSizeBytes(1024).build()).getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> S3StoreConfig.builder("b").endpoint(URI.create("relative/path")).build());
        assertEquals("unknown configuration key: s3.max-concurency", assertThrows(IllegalArgumentException.class,
                () -> S3StoreConfig.fromMap(Map.of("s3.bucket", "b", "s3.max-concurency", "3"))).getMessage());
        assertEquals("connectTimeout must be positive and at most 2147483647 ms. connectTimeout=PT0S",
                assertThrows(IllegalArgumentException.class,
                        () -> S3StoreConfig.builder("b").connectTimeout(Duration.ZERO).build()).getMessage());
        assertEquals("minThroughputBytesPerSecond must be non-negative (0: no stall detection). minThroughputBytesPerSecond=-1",
                assertThrows(IllegalArgumentException.class, () -> S3StoreConfig.builder("b")
                        .minThroughput(-1, Duration.ofSeconds(5)).build()).getMessage());
        assertEquals("minThroughputTimeout must be a whole number of seconds, at least 2. minThroughputTimeout=PT0.5S",
                assertThrows(IllegalArgumentException.class, () -> S3StoreConfig.builder("b")
                        .minThroughput(1, Duration.ofMillis(500)).build()).getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> S3StoreConfig.builder("b").minThroughput(1, Duration.ofSeconds(1)).build());
        assertEquals("s3.connect-timeout-millis must be a whole number. value=10s", assertThrows(
                IllegalArgumentException.class,
                () -> S3StoreConfig.fromMap(Map.of("s3.bucket", "b", "s3.connect-timeout-millis", "10s"))).getMessage());
        assertEquals("s3.force-path-style must be true or false. value=yes", assertThrows(
                IllegalArgumentException.class,
                () -> S3StoreConfig.fromMap(Map.of("s3.bucket", "b", "s3.force-path-style", "yes"))).getMessage());
        assertEquals("s3.sse must be none, aes256 or aws:kms. value=kms", assertThrows(IllegalArgumentException.class,
                () -> S3StoreConfig.fromMap(Map.of("s3.bucket", "b", "s3.sse", "kms"))).getMessage());
        assertEquals("s3.sse-kms-key-id needs s3.sse=aws:kms. s3.sse=none", assertThrows(
                IllegalArgumentException.class,
                () -> S3StoreConfig.fromMap(Map.of("s3.bucket", "b", "s3.sse-kms-key-id", "k1"))).getMessage());
        assertEquals("s3.sse-kms-key-id needs s3.sse=aws:kms. s3.sse=aes256", assertThrows(
                IllegalArgumentException.class, () -> S3StoreConfig.fromMap(
                        Map.of("s3.bucket", "b", "s3.sse", "aes256", "s3.sse-kms-key-id", "k1"))).getMessage());
        String unknownClass = assertThrows(IllegalArgumentException.class,
                () -> S3StoreConfig.fromMap(Map.of("s3.bucket", "b", "s3.storage-class", "CHEAP"))).getMessage();
        assertTrue(unknownClass.startsWith("s3.storage-class must be an S3 storage class, one of ")
                && unknownClass.contains("STANDARD_IA") && unknownClass.endsWith(". value=CHEAP"), unknownClass);
    }
}
