package io.hyperfile.core.store.fault;

import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.ListPage;
import io.hyperfile.core.store.ObjectData;
import io.hyperfile.core.store.ObjectInfo;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.store.StoreCapabilities;
import java.nio.ByteBuffer;
import java.util.Collection;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Wraps a store and injects faults by rule, for tests: each {@link FaultRule} names the operations and a key
 * pattern it watches, which of its matching calls it acts on, and what it does (fail before or after applying,
 * delay, hold until released or forever, run a hook). The first rule that acts on a call decides it; calls no rule
 * acts on pass through. Also counts calls and bytes per operation. Cancelling a returned future cancels the wrapped
 * store's. Thread-safe.
 */
public final class FlakyObjectStore implements ObjectStore {

    /** Store operations, as rules name them. */
    public enum Op { GET, PUT, CREATE, HEAD, LIST, DELETE, DELETE_ALL }

    private final ObjectStore delegate;
    private final List<FaultRule> rules = new CopyOnWriteArrayList<>();
    private final Map<Op, AtomicLong> calls = new EnumMap<>(Op.class);
    private final AtomicLong totalCalls = new AtomicLong();
    private final AtomicLong bytesWritten = new AtomicLong();
    private final AtomicLong bytesRead = new AtomicLong();

    public FlakyObjectStore(ObjectStore delegate) {
        this.delegate = delegate;
        for (Op op : Op.values()) {
            calls.put(op, new AtomicLong());
        }
    }

    /** Adds a rule after the existing ones and returns it (so a test can {@link #remove} it later). */
    public FaultRule add(FaultRule rule) {
        rules.add(rule);
        return rule;
    }

    public void remove(FaultRule rule) {
        rules.remove(rule);
    }

    public void clearRules() {
        rules.clear();
    }

    public long calls(Op op) {
        return calls.get(op).get();
    }

    /** Calls of every operation so far, the number a crash test counts store requests by. */
    public long totalCalls() {
        return totalCalls.get();
    }

    /** Payload bytes of puts and creates passed to the store (including failed ones). */
    public long bytesWritten() {
        return bytesWritten.get();
    }

    /** Payload bytes returned by gets. */
    public long bytesRead() {
        return bytesRead.get();
    }

    public ObjectStore delegate() {
        return delegate;
    }

    @Override
    public StoreCapabilities capabilities() {
        return delegate.capabilities();
    }

    @Override
    public CompletableFuture<ObjectData> get(String key, ByteRange range) {
        CompletableFuture<ObjectData> call = intercept(Op.GET, key, () -> delegate.get(key, range));
        CompletableFuture<ObjectData> counted = call.whenComplete((d, e) -> {
            if (d != null) {
                bytesRead.addAndGet(d.length());
            }
        });
        // Cancelling the returned future cancels the call, as if there were no wrapper.
        counted.whenComplete((d, e) -> {
            if (counted.isCancelled()) {
                call.cancel(false);
            }
        });
        return counted;
    }

    @Override
    public CompletableFuture<Void> put(String key, ByteBuffer data) {
        bytesWritten.addAndGet(data.remaining());
        return intercept(Op.PUT, key, () -> delegate.put(key, data));
    }

    @Override
    public CompletableFuture<Void> create(String key, ByteBuffer data) {
        bytesWritten.addAndGet(data.remaining());
        return intercept(Op.CREATE, key, () -> delegate.create(key, data));
    }

    @Override
    public CompletableFuture<ObjectInfo> head(String key) {
        return intercept(Op.HEAD, key, () -> delegate.head(key));
    }

    @Override
    public CompletableFuture<ListPage> list(String prefix, String startAfter, int maxKeys) {
        return intercept(Op.LIST, prefix, () -> delegate.list(prefix, startAfter, maxKeys));
    }

    @Override
    public CompletableFuture<Void> delete(String key) {
        return intercept(Op.DELETE, key, () -> delegate.delete(key));
    }

    @Override
    public CompletableFuture<Void> deleteAll(Collection<String> keys) {
        List<String> copy = List.copyOf(keys);
        return intercept(Op.DELETE_ALL, copy.isEmpty() ? "" : copy.get(0), () -> delegate.deleteAll(copy));
    }

    @Override
    public void close() {
        delegate.close();
    }

    @Override
    public String toString() {
        return "Flaky[" + delegate + "]";
    }

    private <T> CompletableFuture<T> intercept(Op op, String key, Supplier<CompletableFuture<T>> call) {
        calls.get(op).incrementAndGet();
        long callNo = totalCalls.incrementAndGet();
        for (FaultRule rule : rules) {
            if (rule.acts(op, key, callNo)) {
                return rule.action().apply(op, key, call);
            }
        }
        return call.get();
    }
}
