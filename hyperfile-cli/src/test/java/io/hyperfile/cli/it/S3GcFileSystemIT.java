package io.hyperfile.cli.it;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link GcFileSystemIT} on S3 ({@link EmbeddedS3Proxy}: S3Proxy in the test JVM, a bucket per test), served with the
 * local read cache in the test directory, so that deleted and compacted segments also pass through the cache.
 */
class S3GcFileSystemIT extends GcFileSystemIT {
    @RegisterExtension
    static final EmbeddedS3Proxy S3 = new EmbeddedS3Proxy("gcfs");

    /**
     * Two cycles by default (one kill, with {@code hyperfile gc} after it), so that CI stays short;
     * {@code -Dhyperfile.gcfs.s3-cycles=N} sets them.
     */
    @Override
    int cycles() {
        return Integer.getInteger("hyperfile.gcfs.s3-cycles", 2);
    }

    @Override
    List<String> storeArgs() {
        return S3.storeArgs();
    }

    @Override
    Map<String, String> storeEnvironment() {
        return S3.environment();
    }

    @Override
    List<String> serveOptions() {
        return EmbeddedS3Proxy.cacheArgs(dir);
    }
}
