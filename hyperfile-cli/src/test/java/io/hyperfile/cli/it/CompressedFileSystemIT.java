package io.hyperfile.cli.it;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;

/**
 * {@link AbstractFileSystemIT} on a compressed volume (docs/ENCODING.md): ext4 and xfs through NBD survive a restart
 * and a kill -9 with their checksums equal and fsck clean, on the local-directory store, with zstd packing the data
 * (file-system metadata and the tests' files compress; their random contents are stored raw).
 */
class CompressedFileSystemIT extends AbstractFileSystemIT {
    private static final String VOLUME = "zdisk";

    /** Runs after the superclass's checks for root and tools. */
    @BeforeEach
    void createVolume() throws Exception {
        Commands.hyperfile(dir, Map.of(), "volume", "create", VOLUME, "--size", "10G", "--compression", "zstd:3").orThrow();
    }

    @Override
    List<String> serveArgs() {
        return List.of(VOLUME);
    }

    @Override
    String export() {
        return VOLUME;
    }
}
