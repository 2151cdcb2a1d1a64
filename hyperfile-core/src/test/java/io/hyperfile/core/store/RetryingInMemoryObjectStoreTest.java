package io.hyperfile.core.store;

import io.hyperfile.core.store.memory.InMemoryObjectStore;

/** The store contract through the retry layer, over the in-memory store. */
class RetryingInMemoryObjectStoreTest extends AbstractObjectStoreContractTest {
    @Override
    protected ObjectStore createStore() {
        return new RetryingObjectStore(new InMemoryObjectStore(), RetryPolicy.DEFAULT);
    }
}
