package io.hyperfile.core.store.local;

import io.hyperfile.core.store.AbstractObjectStoreContractTest;
import io.hyperfile.core.store.ObjectStore;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

class LocalDirectoryObjectStoreTest extends AbstractObjectStoreContractTest {
    @TempDir
    Path dir;

    @Override
    protected ObjectStore createStore() {
        return new LocalDirectoryObjectStore(dir.resolve("store"));
    }
}
