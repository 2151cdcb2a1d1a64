package io.hyperfile.core.store.local;

import io.hyperfile.core.store.AbstractObjectStoreContractTest;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.store.RetryPolicy;
import io.hyperfile.core.store.RetryingObjectStore;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The store contract through the retry layer, over a local directory. */
class RetryingLocalDirectoryObjectStoreTest extends AbstractObjectStoreContractTest {
    @TempDir
    Path dir;

    @Override
    protected ObjectStore createStore() {
        return new RetryingObjectStore(new LocalDirectoryObjectStore(dir.resolve("store")), RetryPolicy.DEFAULT);
    }
}
