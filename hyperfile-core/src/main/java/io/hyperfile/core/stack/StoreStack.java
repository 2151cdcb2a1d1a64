package io.hyperfile.core.stack;

import io.hyperfile.core.cache.CacheConfig;
import io.hyperfile.core.cache.CachingObjectStore;
import io.hyperfile.core.crypto.EncryptingObjectStore;
import io.hyperfile.core.crypto.KeySource;
import io.hyperfile.core.store.MeteredObjectStore;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.store.RetryPolicy;
import io.hyperfile.core.store.RetryScheduler;
import io.hyperfile.core.store.RetryingObjectStore;
import io.hyperfile.core.store.StoreStats;
import io.hyperfile.core.store.local.LocalDirectoryObjectStore;
import io.hyperfile.core.store.s3.S3ObjectStore;
import io.hyperfile.core.store.s3.S3StoreConfig;
import java.nio.file.Path;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Builds the store a volume runs on, the same way for every backend:
 * <pre>
 *   [EncryptingObjectStore]   optional, outermost: encrypted volumes' segments are sealed before anything below sees
 *                             them (the cache holds ciphertext), with the key given to {@link Builder#encryption}
 *   [CachingObjectStore]      optional: cache hits never wait for retries or timeouts
 *   RetryingObjectStore       always: retries, backoff, deadline and per-attempt timeouts (RetryPolicy)
 *   [MeteredObjectStore]      optional: counts and times each request sent to the backend (StoreStats)
 *   backend                   S3ObjectStore, LocalDirectoryObjectStore, or any given store
 * </pre>
 * So the local directory gets the same retry and timeout behaviour as S3 (and, with it, the read-back that turns
 * a create which applied but reported a failure into a success). The cache sits above the retries because it
 * is a pure read accelerator: a miss is a store read, which is retried like any other.
 *
 * <p>Usage: {@code StoreStack.s3(config).cache(cacheConfig).open()}. A builder is not thread-safe; the store it
 * opens is (see each layer). Closing the returned store closes every layer and the backend.
 */
public final class StoreStack {
    private StoreStack() {
    }

    /** A stack on a local directory store rooted at {@code root} (created if missing). */
    public static Builder localDirectory(Path root) {
        Objects.requireNonNull(root, "root");
        return new Builder(() -> new LocalDirectoryObjectStore(root), "local directory " + root);
    }

    /** A stack on the S3 bucket {@code config} describes. */
    public static Builder s3(S3StoreConfig config) {
        Objects.requireNonNull(config, "config");
        return new Builder(() -> new S3ObjectStore(config), "S3 bucket " + config.bucket());
    }

    /** A stack on a backend the caller made (in-memory, a fault-injecting wrapper...); the stack takes it over. */
    public static Builder of(ObjectStore backend) {
        Objects.requireNonNull(backend, "backend");
        return new Builder(() -> backend, backend.toString());
    }

    /** Chooses the layers; {@link #open()} builds them. */
    public static final class Builder {
        private final Supplier<ObjectStore> backend;
        private final String description;
        private RetryPolicy retryPolicy = RetryPolicy.DEFAULT;
        private RetryScheduler scheduler = RetryScheduler.system();
        private CacheConfig cache;
        private StoreStats stats;
        private boolean encryption;
        private KeySource keySource;

        private Builder(Supplier<ObjectStore> backend, String description) {
            this.backend = backend;
            this.description = description;
        }

        /** Retry, deadline and attempt-timeout settings (default {@link RetryPolicy#DEFAULT}). */
        public Builder retryPolicy(RetryPolicy retryPolicy) {
            this.retryPolicy = Objects.requireNonNull(retryPolicy, "retryPolicy");
            return this;
        }

        /** The clock and timer of retries and timeouts (default {@link RetryScheduler#system()}). */
        public Builder scheduler(RetryScheduler scheduler) {
            this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
            return this;
        }

        /** Puts the local read cache {@code config} describes on top; null (the default) for none. */
        public Builder cache(CacheConfig config) {
            this.cache = config;
            return this;
        }

        /** Counts the requests sent to the backend into {@code stats} (each attempt); null (the default) for none. */
        public Builder stats(StoreStats stats) {
            this.stats = stats;
            return this;
        }

        /**
         * Puts the encryption layer on top, with the user's key {@code source} (null: none given, so encrypted volumes
         * are refused with a message that asks for it; unencrypted ones work either way).
         */
        public Builder encryption(KeySource source) {
            this.encryption = true;
            this.keySource = source;
            return this;
        }

        /**
         * Opens the backend and wraps it. The cache, if any, opens in the background (see
         * {@link CachingObjectStore}). If a layer cannot be built, the ones already built are closed.
         */
        public ObjectStore open() {
            ObjectStore base = backend.get();
            if (stats != null) {
                base = new MeteredObjectStore(base, stats, scheduler::nanoTime);
            }
            ObjectStore store = new RetryingObjectStore(base, retryPolicy, scheduler);
            if (cache != null) {
                try {
                    store = new CachingObjectStore(store, cache);
                } catch (RuntimeException | Error e) {
                    store.close();
                    throw e;
                }
            }
            return encryption ? new EncryptingObjectStore(store, keySource) : store;
        }

        @Override
        public String toString() {
            return "StoreStack[" + description + ", " + retryPolicy + (cache == null ? "" : ", cache " + cache.directory()) + "]";
        }
    }
}
