package io.hyperfile.cli.it;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;

/**
 * {@link AbstractFileSystemIT} on an encrypted, compressed volume (docs/ENCRYPTION.md): ext4 and xfs through NBD
 * survive a restart and a kill -9 with their checksums equal and fsck clean, with lz4 packing the data and every
 * segment sealed with AES-256-GCM under a key the server reads from an environment variable.
 */
class EncryptedFileSystemIT extends AbstractFileSystemIT {
    private static final String VOLUME = "sealed";
    private static final Map<String, String> KEY = Map.of("HF_TEST_KEY",
            "8f3c5e0a1b2d4f6071829304a5b6c7d8e9f00112233445566778899aabbccdd0");

    /** Runs after the superclass's checks for root and tools. */
    @BeforeEach
    void createVolume() throws Exception {
        Commands.hyperfile(dir, KEY, "volume", "create", VOLUME, "--size", "10G", "--compression", "lz4",
                "--encryption", "aes-256-gcm", "--key-env", "HF_TEST_KEY").orThrow();
    }

    @Override
    List<String> serveArgs() {
        return List.of(VOLUME, "--key-env", "HF_TEST_KEY");
    }

    @Override
    Map<String, String> serveEnvironment() {
        return KEY;
    }

    @Override
    String export() {
        return VOLUME;
    }
}
