package io.hyperfile.cli.it;

import io.hyperfile.core.store.s3.S3Backend;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

/**
 * {@link AbstractFileSystemIT} on S3: the S3Proxy 4.1 that hyperfile-core's tests use, embedded in the test JVM
 * (in memory, on 127.0.0.1), one bucket per test, and {@code hyperfile serve --store s3://BUCKET/volumes
 * --endpoint URL --path-style} with credentials and region in the child's environment, as a deployment passes them.
 *
 * <p>The CRT client uploads objects above its multipart threshold (by default its 8 MiB part size) in parts, which
 * S3Proxy 4.1 cannot take (Expect: 100-continue on CreateMultipartUpload). Segments of a volume with the default
 * 8 MiB segment size stay at or below 8 MiB, so the default volume works; a larger {@code --segment-size} against
 * S3Proxy would need a store option that raises the threshold.
 */
class S3FileSystemIT extends AbstractFileSystemIT {
    private static final String VOLUME = "disk0";
    private static S3Backend.Backend s3;
    private String bucket;

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

    /** Runs after the superclass's checks for root and tools, so a skipped test costs no bucket. */
    @BeforeEach
    void createBucketAndVolume() throws Exception {
        bucket = s3.createBucket("fs");
        List<String> create = new ArrayList<>(List.of("volume", "create", VOLUME, "--size", "10G"));
        create.addAll(storeArgs());
        Commands.hyperfile(dir, serveEnvironment(), create.toArray(String[]::new)).orThrow();
    }

    @AfterEach
    void deleteBucket() {
        if (bucket != null) {
            s3.deleteBucket(bucket); // S3Proxy keeps objects in this JVM's heap
        }
    }

    private List<String> storeArgs() {
        return List.of("--store", "s3://" + bucket + "/volumes", "--endpoint", s3.endpoint().uri().toString(), "--path-style");
    }

    @Override
    List<String> serveArgs() {
        List<String> args = new ArrayList<>(storeArgs());
        // The local read cache is on for S3 stores: keep it in the test directory, so restarts (and kill -9) reuse it.
        args.add("--cache-dir=" + dir.resolve("cache"));
        args.add("--cache-size=256M");
        args.add(VOLUME);
        return args;
    }

    @Override
    Map<String, String> serveEnvironment() {
        S3Backend.Endpoint e = s3.endpoint();
        return Map.of("AWS_ACCESS_KEY_ID", e.accessKey(), "AWS_SECRET_ACCESS_KEY", e.secretKey(), "AWS_REGION", e.region());
    }

    @Override
    String export() {
        return VOLUME;
    }
}
