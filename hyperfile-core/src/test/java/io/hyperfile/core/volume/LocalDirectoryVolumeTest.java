package io.hyperfile.core.volume;

import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.store.local.LocalDirectoryObjectStore;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

class LocalDirectoryVolumeTest extends AbstractVolumeStoreTest {
    @TempDir
    Path dir;

    @Override
    protected ObjectStore createStore() {
        return new LocalDirectoryObjectStore(dir);
    }
}
