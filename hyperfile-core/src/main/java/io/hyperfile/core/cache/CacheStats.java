package io.hyperfile.core.cache;

/**
 * A snapshot of the cache's counters since the wrapper was made. Chunk counts are in units of
 * {@link CacheConfig#chunkSizeBytes()}.
 *
 * @param hits               chunks served from the cache
 * @param misses             chunks a cached read had to fetch from the store (shared fetches count once per reader)
 * @param bytesFromCache     bytes returned to callers from the cache
 * @param bytesFromStore     bytes fetched from the store by cache misses (whole chunks)
 * @param localBytesRead     bytes read from the cache's data file by hits: whole pieces
 *                           ({@link CacheConfig#pieceSizeBytes()}) that overlap the ranges asked for
 * @param inlineHits         reads answered entirely from the cache on the caller's thread (small, in memory)
 * @param bypassed           reads passed straight to the store: cache not ready or disabled, not a segment, a
 *                           suffix or whole-object range, or a read too large to cache
 * @param inserts            chunks written into the cache
 * @param evictions          chunks evicted to make room
 * @param insertFailures     inserts that failed (I/O error, index full)
 * @param insertsDropped     inserts dropped because too many bytes were already waiting to be written
 * @param checksumFailures   cached chunks dropped because a piece a hit read failed its CRC32C check
 * @param verifications      GETs of a segment's header sent to learn which object it is, before serving its cached
 *                           chunks or caching fetched ones (at most one per segment per process, unless it fails)
 * @param staleChunks        cached chunks not served because they belong to another object than the one now under
 *                           their key (a segment rewritten since they were cached); they are fetched and replaced
 * @param writeThroughSkipped chunks of written segments not written through: only data of runs of at least
 *                           {@link CacheConfig#sequentialCutoffBytes()} (a sequential stream)
 * @param entries            chunks in the cache now
 * @param state              where the cache is in its life
 */
public record CacheStats(long hits, long misses, long bytesFromCache, long bytesFromStore, long localBytesRead,
        long inlineHits, long bypassed, long inserts,
        long evictions, long insertFailures, long insertsDropped, long checksumFailures,
        long verifications, long staleChunks, long writeThroughSkipped, long entries, CacheState state) {

    /** One line for logs. */
    @Override
    public String toString() {
        return "cache " + state.name().toLowerCase(java.util.Locale.ROOT) + ": " + entries + " chunks, hits " + hits
                + ", misses " + misses + ", " + bytesFromCache + " bytes from cache, " + bytesFromStore
                + " bytes from store, " + localBytesRead + " bytes read locally, inline hits " + inlineHits
                + ", bypassed " + bypassed + ", inserts " + inserts + ", evictions " + evictions
                + ", insert failures " + insertFailures + ", inserts dropped " + insertsDropped + ", checksum failures "
                + checksumFailures + ", verifications " + verifications + ", stale chunks " + staleChunks
                + ", write-through skipped " + writeThroughSkipped;
    }
}
