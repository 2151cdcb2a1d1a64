package io.hyperfile.cli.it;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link AbstractFileSystemIT} on S3 ({@link EmbeddedS3Proxy}: S3Proxy in the test JVM, a bucket per test): a 10 GiB
 * volume, served with the local read cache in the test directory.
 */
class S3FileSystemIT extends AbstractFileSystemIT {
    private static final String VOLUME = "disk0";

    @RegisterExtension
    static final EmbeddedS3Proxy S3 = new EmbeddedS3Proxy("fs");

    /** Runs after the superclass's checks for root and tools, so a skipped test costs no bucket. */
    @BeforeEach
    void createVolume() throws Exception {
        List<String> create = new ArrayList<>(List.of("volume", "create", VOLUME, "--size", "10G"));
        create.addAll(S3.storeArgs());
        Commands.hyperfile(dir, serveEnvironment(), create.toArray(String[]::new)).orThrow();
    }

    @Override
    List<String> serveArgs() {
        List<String> args = new ArrayList<>(S3.storeArgs());
        args.addAll(EmbeddedS3Proxy.cacheArgs(dir));
        args.add(VOLUME);
        return args;
    }

    @Override
    Map<String, String> serveEnvironment() {
        return S3.environment();
    }

    @Override
    String export() {
        return VOLUME;
    }
}
