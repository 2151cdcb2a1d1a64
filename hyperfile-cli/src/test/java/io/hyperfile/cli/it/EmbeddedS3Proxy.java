package io.hyperfile.cli.it;

import io.hyperfile.core.store.s3.S3Backend;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * S3 for the file-system ITs, as a JUnit extension ({@code @RegisterExtension static}): the S3Proxy 4.1 that
 * hyperfile-core's tests use, embedded in the test JVM (in memory, on 127.0.0.1) for the test class, and a bucket per
 * test, made the first time the test asks for {@link #storeArgs} (so a skipped test costs none) and deleted after it.
 * The CLI gets it as {@code --store s3://BUCKET/volumes --endpoint URL --path-style}, with credentials and region in
 * the child's {@link #environment}, as a deployment passes them.
 *
 * <p>The CRT client uploads objects above its multipart threshold (by default its 8 MiB part size) in parts, which
 * S3Proxy 4.1 cannot take (Expect: 100-continue on CreateMultipartUpload). Segments of a volume with the default
 * 8 MiB segment size stay at or below 8 MiB, so default volumes work; a larger {@code --segment-size} against S3Proxy
 * would need a store option that raises the threshold.
 *
 * <p>Not thread-safe: tests of one class run one at a time.
 */
final class EmbeddedS3Proxy implements BeforeAllCallback, AfterAllCallback, AfterEachCallback {
    private final String bucketHint;
    private S3Backend.Backend s3;
    private String bucket;

    EmbeddedS3Proxy(String bucketHint) {
        this.bucketHint = bucketHint;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        s3 = S3Backend.startEmbeddedS3Proxy();
    }

    @Override
    public void afterEach(ExtensionContext context) {
        if (bucket != null) {
            s3.deleteBucket(bucket); // S3Proxy keeps objects in this JVM's heap
            bucket = null;
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (s3 != null) {
            s3.close();
        }
    }

    /** The store options of every command for this test's bucket (made now if needed). */
    List<String> storeArgs() {
        if (bucket == null) {
            bucket = s3.createBucket(bucketHint);
        }
        return List.of("--store", "s3://" + bucket + "/volumes", "--endpoint", s3.endpoint().uri().toString(),
                "--path-style");
    }

    /** Credentials and region for the child processes. */
    Map<String, String> environment() {
        S3Backend.Endpoint e = s3.endpoint();
        return Map.of("AWS_ACCESS_KEY_ID", e.accessKey(), "AWS_SECRET_ACCESS_KEY", e.secretKey(),
                "AWS_REGION", e.region());
    }

    /**
     * The local read cache is on for S3 stores: {@code serve} options that keep it in the test directory, so that
     * restarts (and kill -9) reuse it.
     */
    static List<String> cacheArgs(Path dir) {
        return List.of("--cache-dir=" + dir.resolve("cache"), "--cache-size=256M");
    }
}
