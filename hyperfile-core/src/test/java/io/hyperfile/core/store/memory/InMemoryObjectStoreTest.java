package io.hyperfile.core.store.memory;

import io.hyperfile.core.store.AbstractObjectStoreContractTest;
import io.hyperfile.core.store.ObjectStore;

class InMemoryObjectStoreTest extends AbstractObjectStoreContractTest {
    @Override
    protected ObjectStore createStore() {
        return new InMemoryObjectStore();
    }
}
