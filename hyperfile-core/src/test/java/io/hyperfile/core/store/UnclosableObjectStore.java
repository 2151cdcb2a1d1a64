package io.hyperfile.core.store;

/** Passes everything to a store but {@link #close}, so one store can outlive the wrappers tests and benchmarks put around it. */
public final class UnclosableObjectStore extends ForwardingObjectStore {
    public UnclosableObjectStore(ObjectStore delegate) {
        super(delegate);
    }
}
