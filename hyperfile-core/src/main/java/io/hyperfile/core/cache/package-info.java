/**
 * The persistent local read cache: {@link io.hyperfile.core.cache.CachingObjectStore} wraps an object store and
 * keeps chunks of immutable segment objects in a local directory ({@link io.hyperfile.core.cache.ChunkCache}),
 * indexed by a persisted Chronicle Map so a restarted server serves hot data without refetching it. Everything
 * here is an optimisation: a cache problem turns into a miss, never into an error. Depends on {@code store},
 * {@code segment} (key names) and {@code checkpoint} (the volume id in the descriptor). See docs/CACHE.md.
 */
package io.hyperfile.core.cache;
