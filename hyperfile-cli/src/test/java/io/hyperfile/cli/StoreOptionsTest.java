package io.hyperfile.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.hyperfile.core.crypto.EncryptingObjectStore;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.store.RetryingObjectStore;
import io.hyperfile.core.store.local.LocalDirectoryObjectStore;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code --store}: every kind of store is opened through the store stack, so it gets retries and timeouts. */
class StoreOptionsTest {
    @TempDir
    Path dir;

    private static StoreOptions parse(String... args) {
        ServeCommand serve = new ServeCommand();
        new CommandLine(serve).parseArgs(args);
        return serve.store;
    }

    @Test
    void aLocalDirectoryStoreIsOpenedBehindTheRetryLayerAndTheEncryptionLayer() {
        try (ObjectStore store = parse("--store=file:" + dir.resolve("data")).open()) {
            EncryptingObjectStore encrypting = assertInstanceOf(EncryptingObjectStore.class, store);
            assertEquals(null, encrypting.keySource(), "no key given");
            RetryingObjectStore retrying = assertInstanceOf(RetryingObjectStore.class, encrypting.plain());
            assertEquals(dir.resolve("data"), assertInstanceOf(LocalDirectoryObjectStore.class, retrying.delegate()).root());
        }
    }

    @Test
    void badStoreUrisAreRejectedBeforeAnythingIsOpened() {
        assertEquals("invalid store 'file:': file: needs a path, e.g. file:/var/lib/hyperfile",
                assertThrows(IllegalArgumentException.class, () -> parse("--store=file:").stack()).getMessage());
        assertEquals("invalid store 's3://': s3:// needs a bucket, e.g. s3://my-bucket/volumes",
                assertThrows(IllegalArgumentException.class, () -> parse("--store=s3://").stack()).getMessage());
    }
}
