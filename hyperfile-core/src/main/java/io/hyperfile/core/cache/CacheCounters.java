package io.hyperfile.core.cache;

import java.util.concurrent.atomic.LongAdder;

/** The cache's counters, bumped from any thread. */
final class CacheCounters {
    final LongAdder hits = new LongAdder();
    final LongAdder misses = new LongAdder();
    final LongAdder bytesFromCache = new LongAdder();
    final LongAdder bytesFromStore = new LongAdder();
    final LongAdder localBytesRead = new LongAdder();
    final LongAdder inlineHits = new LongAdder();
    final LongAdder bypassed = new LongAdder();
    final LongAdder inserts = new LongAdder();
    final LongAdder evictions = new LongAdder();
    final LongAdder insertFailures = new LongAdder();
    final LongAdder insertsDropped = new LongAdder();
    final LongAdder checksumFailures = new LongAdder();
    final LongAdder verifications = new LongAdder();
    final LongAdder staleChunks = new LongAdder();
    final LongAdder writeThroughSkipped = new LongAdder();

    CacheStats snapshot(long entries, CacheState state) {
        return new CacheStats(hits.sum(), misses.sum(), bytesFromCache.sum(), bytesFromStore.sum(), localBytesRead.sum(),
                inlineHits.sum(), bypassed.sum(),
                inserts.sum(), evictions.sum(), insertFailures.sum(), insertsDropped.sum(), checksumFailures.sum(),
                verifications.sum(), staleChunks.sum(), writeThroughSkipped.sum(), entries, state);
    }
}
