package io.hyperfile.core.stack;

import io.hyperfile.core.cache.CacheConfig;
import io.hyperfile.core.store.AbstractObjectStoreContractTest;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The store contract through the whole stack as serve builds it: cache, then retries, over the in-memory store. */
class StoreStackContractTest extends AbstractObjectStoreContractTest {
    @TempDir
    Path dir;

    @Override
    protected ObjectStore createStore() {
        return StoreStack.of(new InMemoryObjectStore()).cache(CacheConfig.builder(dir.resolve("cache"), 4 << 20).build()).open();
    }
}
