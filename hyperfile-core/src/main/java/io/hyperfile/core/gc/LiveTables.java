package io.hyperfile.core.gc;

import io.hyperfile.core.store.ObjectInfo;
import io.hyperfile.core.store.ObjectStore;
import java.util.concurrent.CompletableFuture;

/**
 * The stored live tables of a volume ({@code P/gc/live/}, docs/GC.md "Persistence") as a whole. A live table is a
 * cache of what a walk computes, kept up to date by comparing successive index trees on the assumption that a
 * checkpoint's references never grow back. Whatever breaks that assumption (a rollback, which makes an older
 * root current again) calls {@link #invalidate}: the next pass of any writer then finds no table and walks.
 */
public final class LiveTables {
    private LiveTables() {
    }

    /** Deletes every stored live table of the volume under {@code prefix}. */
    public static CompletableFuture<Void> invalidate(ObjectStore store, String prefix) {
        return store.listAll(LiveTableObject.directory(prefix), null)
                .thenCompose(all -> all.isEmpty() ? CompletableFuture.completedFuture(null)
                        : store.deleteAll(all.stream().map(ObjectInfo::key).toList()));
    }
}
