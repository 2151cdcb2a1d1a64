/**
 * The persistent local read cache: {@link io.hyperfile.core.cache.CachingObjectStore} wraps an object store and
 * keeps chunks of immutable segment objects in a local directory ({@link io.hyperfile.core.cache.ChunkCache}),
 * indexed by a persisted Chronicle Map so a restarted server serves hot data without refetching it. Everything
 * here is an optimisation: a cache problem turns into a miss, never into an error, and a cached chunk is served only
 * to the object it came from (its segment header's writer id and size, checked against the store once per segment
 * per process). Depends on {@code store} and {@code segment} (key names, the segment header). See docs/CACHE.md.
 *
 * <p>The directory's parts, one class each: {@code ChunkCache} opens and closes it and orders every operation across
 * {@code CacheMeta} (the {@code cache.meta} file), {@code ChunkIndex} (the Chronicle Map index),
 * {@code ChunkDataFile} (the mapped data file of slots and the checked copy of pieces) and {@code SlotAllocator}
 * (which slot holds what, free slots and CLOCK eviction).
 */
package io.hyperfile.core.cache;
