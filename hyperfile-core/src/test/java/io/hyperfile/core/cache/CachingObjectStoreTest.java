package io.hyperfile.core.cache;

import static io.hyperfile.core.cache.CacheTesting.CHUNK;
import static io.hyperfile.core.cache.CacheTesting.config;
import static io.hyperfile.core.cache.CacheTesting.createSegment;
import static io.hyperfile.core.cache.CacheTesting.createVolume;
import static io.hyperfile.core.cache.CacheTesting.openReady;
import static io.hyperfile.core.cache.CacheTesting.read;
import static io.hyperfile.core.cache.CacheTesting.slice;
import static io.hyperfile.core.store.StoreTesting.await;
import static io.hyperfile.core.store.StoreTesting.failure;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.segment.SegmentKeys;
import io.hyperfile.core.store.UnclosableObjectStore;
import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.InvalidRangeException;
import io.hyperfile.core.store.ObjectData;
import io.hyperfile.core.store.ObjectNotFoundException;
import io.hyperfile.core.store.fault.FaultAction;
import io.hyperfile.core.store.fault.FaultRule;
import io.hyperfile.core.store.fault.FlakyObjectStore;
import io.hyperfile.core.store.fault.FlakyObjectStore.Op;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cache wrapper over an in-memory store, counting store GETs with {@link FlakyObjectStore}. */
class CachingObjectStoreTest {
    private static final String P = "v/";
    private static final String SEG1 = SegmentKeys.segment(P, 1);

    @TempDir
    Path dir;

    private final InMemoryObjectStore memory = new InMemoryObjectStore();
    private final FlakyObjectStore store = new FlakyObjectStore(memory);
    private final List<CachingObjectStore> opened = new ArrayList<>();

    @AfterEach
    void closeAll() {
        opened.forEach(CachingObjectStore::close);
    }

    private CachingObjectStore cache(int chunks) {
        return cache(dir, chunks);
    }

    private CachingObjectStore cache(Path at, int chunks) {
        CachingObjectStore c = openReady(store, config(at, chunks));
        opened.add(c);
        return c;
    }

    @Test
    void hitsAvoidStoreGets() {
        createVolume(memory, P);
        byte[] seg = createSegment(memory, P, 1, 3 * CHUNK + 100, 1);
        CachingObjectStore c = cache(64);

        assertArrayEquals(slice(seg, 5000, 6000), read(c, SEG1, 5000, 6000));
        long gets = store.calls(Op.GET);
        await(c.drainInserts());
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(slice(seg, 5000, 6000), read(c, SEG1, 5000, 6000));
            assertArrayEquals(slice(seg, 4096, 100), read(c, SEG1, 4096, 100));
        }
        assertEquals(gets, store.calls(Op.GET), "hits must not reach the store");
        CacheStats s = c.stats();
        assertEquals(2, s.misses(), s.toString());
        assertEquals(2, s.inserts(), s.toString());
        assertEquals(9, s.hits(), s.toString());
        assertEquals(2, s.entries(), s.toString());

        // The last, short chunk, and a range that runs past the end of the object, are clamped like the store does.
        assertArrayEquals(slice(seg, 3 * CHUNK, 100), read(c, SEG1, 3 * CHUNK, 100));
        await(c.drainInserts());
        gets = store.calls(Op.GET);
        ObjectData tail = await(c.get(SEG1, ByteRange.of(3 * CHUNK + 50, 1000)));
        assertArrayEquals(slice(seg, 3 * CHUNK + 50, 50), tail.toByteArray());
        assertEquals(seg.length, tail.objectSize());
        assertEquals(gets, store.calls(Op.GET));
    }

    @Test
    void aRestartedCacheServesCachedChunksWithoutStoreGets() {
        createVolume(memory, P);
        byte[] seg = createSegment(memory, P, 1, 8 * CHUNK, 2);
        CachingObjectStore first = cache(64);
        assertArrayEquals(slice(seg, 0, 8 * CHUNK), read(first, SEG1, 0, 8 * CHUNK));
        await(first.drainInserts());
        first.close();

        CachingObjectStore second = cache(64);
        long gets = store.calls(Op.GET);
        assertEquals(8, second.stats().entries());
        assertArrayEquals(slice(seg, 100, 7 * CHUNK), read(second, SEG1, 100, 7 * CHUNK));
        // One GET of the segment's 64-byte header (which object it is, checked once per process), none for data.
        assertEquals(gets + 1, store.calls(Op.GET));
        assertEquals(0, second.stats().misses());
    }

    @Test
    void aCacheLeftOpenByACrashIsRecoveredOnTheNextStart() throws IOException {
        createVolume(memory, P);
        byte[] seg = createSegment(memory, P, 1, 6 * CHUNK, 15);
        Path live = dir.resolve("live");
        CachingObjectStore c = cache(live, 16);
        read(c, SEG1, 0, 6 * CHUNK);
        await(c.drainInserts());
        // The files as a kill -9 leaves them: the index as its memory map holds it, not closed, not marked clean.
        Path crashed = dir.resolve("crashed");
        Files.createDirectories(crashed);
        for (String f : List.of(ChunkCache.DATA_FILE, ChunkCache.INDEX_FILE, ChunkCache.META_FILE)) {
            Files.copy(live.resolve(f), crashed.resolve(f));
        }
        assertTrue(Files.readString(crashed.resolve(ChunkCache.META_FILE)).contains("clean=false"));
        CachingObjectStore after = cache(crashed, 16);
        long gets = store.calls(Op.GET);
        assertArrayEquals(seg, read(after, SEG1, 0, 6 * CHUNK));
        assertEquals(gets + 1, store.calls(Op.GET), "only the segment header is read: " + after.stats());
        assertEquals(6, after.stats().hits());
    }

    @Test
    void theSizeLimitHoldsAndEvictionKeepsDataCorrect() throws IOException {
        createVolume(memory, P);
        byte[] seg = createSegment(memory, P, 1, 40 * CHUNK, 3);
        CachingObjectStore c = cache(8);
        Random random = new Random(7);
        for (int i = 0; i < 200; i++) {
            long offset = random.nextInt(seg.length - 1);
            long length = 1 + random.nextInt(Math.min(3 * CHUNK, seg.length - (int) offset));
            assertArrayEquals(slice(seg, offset, length), read(c, SEG1, offset, length), "read " + i);
        }
        await(c.drainInserts());
        CacheStats s = c.stats();
        assertTrue(s.evictions() > 0, s.toString());
        assertTrue(s.entries() <= 8, s.toString());
        assertTrue(s.hits() > 0, s.toString());
        assertTrue(Files.size(dir.resolve(ChunkCache.DATA_FILE)) <= 8L * CHUNK);
    }

    @Test
    void aCorruptedChunkIsAMissAndTheStoreAnswers() throws IOException {
        createVolume(memory, P);
        byte[] seg = createSegment(memory, P, 1, 2 * CHUNK, 4);
        CachingObjectStore c = cache(16);
        read(c, SEG1, 0, 2 * CHUNK);
        await(c.drainInserts());
        try (FileChannel ch = FileChannel.open(dir.resolve(ChunkCache.DATA_FILE), StandardOpenOption.WRITE)) {
            for (long at = 0; at < ch.size(); at += 1000) {
                ch.write(ByteBuffer.wrap(new byte[] {(byte) 0x5a}), at);
            }
        }
        long gets = store.calls(Op.GET);
        assertArrayEquals(slice(seg, 10, 2 * CHUNK - 20), read(c, SEG1, 10, 2 * CHUNK - 20));
        assertEquals(gets + 1, store.calls(Op.GET), "both chunks refetched in one GET");
        assertEquals(2, c.stats().checksumFailures());
        await(c.drainInserts());
        gets = store.calls(Op.GET);
        assertArrayEquals(slice(seg, 10, 2 * CHUNK - 20), read(c, SEG1, 10, 2 * CHUNK - 20));
        assertEquals(gets, store.calls(Op.GET), "the refetched chunks are cached again");
    }

    @Test
    void aCacheDirectoryDeletedWhileRunningFallsBackToTheStore() throws IOException {
        createVolume(memory, P);
        byte[] seg = createSegment(memory, P, 1, 6 * CHUNK, 5);
        CachingObjectStore c = cache(16);
        read(c, SEG1, 0, 3 * CHUNK);
        await(c.drainInserts());
        deleteTree(dir);

        assertArrayEquals(slice(seg, 0, 6 * CHUNK), read(c, SEG1, 0, 6 * CHUNK));
        await(c.drainInserts());
        assertEquals(CacheState.DISABLED, c.state());
        long gets = store.calls(Op.GET);
        assertArrayEquals(slice(seg, CHUNK, 4 * CHUNK), read(c, SEG1, CHUNK, 4 * CHUNK));
        assertEquals(gets + 1, store.calls(Op.GET), "a disabled cache passes reads through");

        // The next start recreates it empty.
        c.close();
        CachingObjectStore again = cache(16);
        assertEquals(0, again.stats().entries());
        assertArrayEquals(slice(seg, 0, 100), read(again, SEG1, 0, 100));
    }

    @Test
    void aVolumeRecreatedUnderTheSamePrefixNeverSeesTheOldBytes() {
        createVolume(memory, P);
        byte[] old = createSegment(memory, P, 1, 2 * CHUNK, 6);
        CachingObjectStore c = cache(16);
        assertArrayEquals(old, read(c, SEG1, 0, 2 * CHUNK));
        await(c.drainInserts());

        // Deleted and created again through the cache, in the same process.
        await(c.deleteAll(List.of(SegmentKeys.descriptor(P), SEG1)));
        createVolume(c, P);
        byte[] fresh = createSegment(memory, P, 1, 2 * CHUNK, 7);
        assertArrayEquals(fresh, read(c, SEG1, 0, 2 * CHUNK));
        await(c.drainInserts());
        c.close();

        // Deleted and created again by another process while this one was down.
        await(memory.deleteAll(List.of(SegmentKeys.descriptor(P), SEG1)));
        createVolume(memory, P);
        byte[] third = createSegment(memory, P, 1, 2 * CHUNK, 8);
        CachingObjectStore restarted = cache(16);
        assertArrayEquals(third, read(restarted, SEG1, 0, 2 * CHUNK));
        assertEquals(0, restarted.stats().hits());
    }

    @Test
    void concurrentReadersGetTheRightBytes() throws Exception {
        createVolume(memory, P);
        int segments = 4;
        byte[][] segs = new byte[segments][];
        for (int s = 0; s < segments; s++) {
            segs[s] = createSegment(memory, P, s + 1, 12 * CHUNK + 123, 10 + s);
        }
        CachingObjectStore c = cache(20); // smaller than the data: reads race with evictions
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> runs = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                long seed = t;
                runs.add(pool.submit(() -> {
                    Random random = new Random(seed);
                    for (int i = 0; i < 150; i++) {
                        int s = random.nextInt(segments);
                        byte[] seg = segs[s];
                        long offset = random.nextInt(seg.length - 1);
                        long length = 1 + random.nextInt(Math.min(2 * CHUNK, seg.length - (int) offset));
                        assertArrayEquals(slice(seg, offset, length),
                                read(c, SegmentKeys.segment(P, s + 1), offset, length), "thread " + seed + " read " + i);
                    }
                }));
            }
            for (Future<?> f : runs) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        CacheStats s = c.stats();
        assertTrue(s.hits() > 0 && s.misses() > 0, s.toString());
    }

    @Test
    void concurrentMissesOfOneChunkShareOneGet() {
        createVolume(memory, P);
        byte[] seg = createSegment(memory, P, 1, 4 * CHUNK, 9);
        CachingObjectStore c = cache(16);
        read(c, SEG1, 0, 10); // the segment's identity is known before the race
        await(c.drainInserts());
        long missesBefore = c.stats().misses();
        CompletableFuture<Void> gate = new CompletableFuture<>();
        FaultRule hold = store.add(FaultRule.on(Op.GET, ".*/seg/.*", FaultRule.always(), FaultAction.holdUntil(gate)));
        long gets = store.calls(Op.GET);
        List<CompletableFuture<ObjectData>> reads = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            reads.add(c.get(SEG1, ByteRange.of(CHUNK + i * 100, 50)));
        }
        // Every read has either started the one GET or joined it once the GET is in flight; wait for that.
        awaitCondition(() -> c.stats().misses() == missesBefore + 10);
        store.remove(hold);
        gate.complete(null);
        for (int i = 0; i < 10; i++) {
            assertArrayEquals(slice(seg, CHUNK + i * 100, 50), await(reads.get(i)).toByteArray());
        }
        assertEquals(gets + 1, store.calls(Op.GET));
    }

    @Test
    void otherKeysAndRangesPassThrough() {
        createVolume(memory, P);
        byte[] seg = createSegment(memory, P, 1, 3 * CHUNK, 11);
        await(memory.put("v/head", ByteBuffer.wrap("1\n".getBytes())));
        await(memory.put("v/seg/notanumber", ByteBuffer.wrap(new byte[10])));
        CachingObjectStore c = cache(16);
        for (int i = 0; i < 2; i++) {
            assertArrayEquals("1\n".getBytes(), await(c.get("v/head", ByteRange.all())).toByteArray());
            assertArrayEquals(slice(seg, seg.length - 160, 160), await(c.get(SEG1, ByteRange.suffix(160))).toByteArray());
            assertArrayEquals(seg, await(c.get(SEG1, ByteRange.all())).toByteArray());
            assertEquals(10, await(c.get("v/seg/notanumber", ByteRange.of(0, 5))).objectSize());
        }
        await(c.drainInserts());
        assertEquals(0, c.stats().entries());
        assertEquals(0, c.stats().hits() + c.stats().misses());
        // Store failures arrive unchanged.
        failure(ObjectNotFoundException.class, c.get(SegmentKeys.segment(P, 2), ByteRange.of(0, 10)));
        failure(InvalidRangeException.class, c.get(SEG1, ByteRange.of(3 * CHUNK, 10)));
        read(c, SEG1, 0, 10);
        await(c.drainInserts());
        failure(InvalidRangeException.class, c.get(SEG1, ByteRange.of(3 * CHUNK, 10)));
    }

    @Test
    void writtenSegmentsAreReadBackLocally() {
        CachingObjectStore c = cache(16);
        createVolume(c, P);
        byte[] seg = createSegment(c, P, 1, 3 * CHUNK + 7, 12);
        await(c.drainInserts());
        long gets = store.calls(Op.GET);
        assertArrayEquals(slice(seg, 0, seg.length), read(c, SEG1, 0, seg.length));
        assertEquals(gets, store.calls(Op.GET));
        assertEquals(4, c.stats().inserts());
    }

    @Test
    void segmentsWrittenOneAfterAnotherReuseTheCopyAndReadBackExactly() {
        CachingObjectStore c = cache(64);
        createVolume(c, P);
        int[] sizes = {3 * CHUNK + 7, 2 * CHUNK + 1, 3 * CHUNK + 500, CHUNK / 2, 3 * CHUNK + 9, 2 * CHUNK};
        List<byte[]> written = new ArrayList<>();
        for (int i = 0; i < sizes.length; i++) {
            // One at a time: each segment's copy is kept before the next is written, so later ones reuse it.
            written.add(createSegment(c, P, i + 1, sizes[i], 40 + i));
            await(c.drainInserts());
        }
        assertTrue(c.insertQueueKeptCopies() >= 1, "no copy array was kept for the next segment");
        long gets = store.calls(Op.GET);
        for (int i = 0; i < sizes.length; i++) {
            byte[] seg = written.get(i);
            assertArrayEquals(seg, read(c, SegmentKeys.segment(P, i + 1), 0, seg.length), "segment " + (i + 1));
        }
        assertEquals(gets, store.calls(Op.GET), "every segment was read from the cache");
    }

    @Test
    void aLongRunIsNotWrittenThroughButTheRestOfTheSegmentIs() {
        long cutoff = 64 << 10; // 16 blocks
        CachingObjectStore c = openReady(store, CacheConfig.builder(dir, 256L * CHUNK).chunkSizeBytes(CHUNK)
                .sequentialCutoffBytes(cutoff).build());
        opened.add(c);
        createVolume(c, P);
        byte[] seg = CacheTesting.builtSegment(1, new long[][] {{5, 1}, {7, 2}, {1000, 40}, {3000, 15}}, 3);
        await(c.create(SEG1, ByteBuffer.wrap(seg)));
        await(c.drainInserts());
        // The 40-block run's slots: after the 3 slots of the short runs, each block followed by its checksum.
        long runFrom = 64 + 3 * 4100L;
        long runTo = runFrom + 40 * 4100L;
        int chunks = (seg.length + CHUNK - 1) / CHUNK;
        long inside = (runTo / CHUNK) - ((runFrom + CHUNK - 1) / CHUNK);
        assertEquals(inside, c.stats().writeThroughSkipped(), "chunks wholly inside the long run");
        assertEquals(chunks - inside, c.stats().inserts(), "every other chunk is written through");

        long gets = store.calls(Op.GET);
        long outsideFrom = (runTo / CHUNK) * CHUNK; // the rest: the 15-block run, index, extent table, footer
        assertArrayEquals(slice(seg, 0, CHUNK), read(c, SEG1, 0, CHUNK));
        assertArrayEquals(slice(seg, outsideFrom, seg.length - outsideFrom), read(c, SEG1, outsideFrom, seg.length - outsideFrom));
        assertEquals(gets, store.calls(Op.GET), "what was written through reads back locally");

        long mid = ((runFrom + runTo) / 2 / CHUNK) * CHUNK;
        assertArrayEquals(slice(seg, mid, CHUNK), read(c, SEG1, mid, CHUNK));
        assertEquals(gets + 1, store.calls(Op.GET), "the long run's data comes from the store");
        await(c.drainInserts());
        assertArrayEquals(slice(seg, mid, CHUNK), read(c, SEG1, mid, CHUNK));
        assertEquals(gets + 1, store.calls(Op.GET), "and is cached once read");
    }

    @Test
    void aSegmentCachedInPartLeavesACopyArrayThatAWholeSegmentCanReuse() {
        CachingObjectStore c = openReady(store, CacheConfig.builder(dir, 1024L * CHUNK).chunkSizeBytes(CHUNK)
                .sequentialCutoffBytes(64 << 10).build());
        opened.add(c);
        createVolume(c, P);
        byte[] stream = CacheTesting.builtSegment(1, new long[][] {{1000, 300}}, 6); // 1.2 MB, nearly all skipped
        await(c.create(SEG1, ByteBuffer.wrap(stream)));
        await(c.drainInserts());
        assertTrue(c.stats().writeThroughSkipped() > 290, c.stats().toString());
        // Sized for the whole segment, not for the few chunks kept: a later segment cached whole reuses it.
        assertTrue(c.insertQueueSmallestKeptCopy() >= stream.length, "kept " + c.insertQueueSmallestKeptCopy());
        byte[] whole = CacheTesting.builtSegment(2, new long[][] {{5, 1}, {7, 1}, {9, 1}}, 7);
        await(c.create(SegmentKeys.segment(P, 2), ByteBuffer.wrap(whole)));
        await(c.drainInserts());
        assertEquals(1, c.insertQueueKeptCopies(), "the one array went round again");
        assertArrayEquals(whole, read(c, SegmentKeys.segment(P, 2), 0, whole.length));
    }

    @Test
    void withNoSequentialCutoffEveryChunkIsWrittenThrough() {
        CachingObjectStore c = openReady(store, CacheConfig.builder(dir, 256L * CHUNK).chunkSizeBytes(CHUNK)
                .sequentialCutoffBytes(0).build());
        opened.add(c);
        createVolume(c, P);
        byte[] seg = CacheTesting.builtSegment(1, new long[][] {{5, 1}, {1000, 40}}, 4);
        await(c.create(SEG1, ByteBuffer.wrap(seg)));
        await(c.drainInserts());
        long gets = store.calls(Op.GET);
        assertArrayEquals(seg, read(c, SEG1, 0, seg.length));
        assertEquals(gets, store.calls(Op.GET));
        assertEquals(0, c.stats().writeThroughSkipped());
        assertEquals((seg.length + CHUNK - 1) / CHUNK, c.stats().inserts());
    }

    @Test
    void aSecondUserOfTheDirectoryRunsWithoutCache() {
        createVolume(memory, P);
        byte[] seg = createSegment(memory, P, 1, CHUNK, 13);
        cache(16);
        CachingObjectStore second = new CachingObjectStore(new UnclosableObjectStore(store), config(dir, 16));
        opened.add(second);
        assertEquals(CacheState.DISABLED, await(second.opened()));
        assertArrayEquals(seg, read(second, SEG1, 0, CHUNK));
    }

    @Test
    void anUnusableOrDamagedCacheIsRecreatedOrSkipped() throws IOException {
        createVolume(memory, P);
        byte[] seg = createSegment(memory, P, 1, 2 * CHUNK, 14);
        Path notADir = dir.resolve("file");
        Files.writeString(notADir, "x");
        CachingObjectStore none = new CachingObjectStore(new UnclosableObjectStore(store), config(notADir, 16));
        opened.add(none);
        assertEquals(CacheState.DISABLED, await(none.opened()));
        assertArrayEquals(seg, read(none, SEG1, 0, 2 * CHUNK));

        Path at = dir.resolve("cache");
        CachingObjectStore c = cache(at, 16);
        read(c, SEG1, 0, 2 * CHUNK);
        await(c.drainInserts());
        c.close();
        Files.write(at.resolve(ChunkCache.INDEX_FILE), new byte[4096]);
        CachingObjectStore again = cache(at, 16);
        assertEquals(0, again.stats().entries());
        assertArrayEquals(seg, read(again, SEG1, 0, 2 * CHUNK));
    }

    /** 64 KiB chunks: sixteen 4 KiB pieces each. */
    private CachingObjectStore pieceCache(Path at) {
        CacheConfig config = CacheConfig.builder(at, 16L * PIECED_CHUNK).chunkSizeBytes(PIECED_CHUNK).build();
        assertEquals(4096, config.pieceSizeBytes());
        CachingObjectStore c = openReady(store, config);
        opened.add(c);
        return c;
    }

    private static final int PIECED_CHUNK = 64 * 1024;

    @Test
    void aSmallHitReadsAndChecksOnlyThePiecesItCovers() {
        createVolume(memory, P);
        byte[] seg = createSegment(memory, P, 1, 2 * PIECED_CHUNK + 100, 16);
        CachingObjectStore c = pieceCache(dir);
        read(c, SEG1, 0, seg.length);
        await(c.drainInserts());
        long gets = store.calls(Op.GET);

        // One aligned 4 KiB block: one piece. In the page cache, so answered on this thread.
        CacheStats before = c.stats();
        CompletableFuture<ObjectData> block = c.get(SEG1, ByteRange.of(5 * 4096, 4096));
        assertTrue(block.isDone(), "a small hit in memory completes on the caller's thread");
        assertArrayEquals(slice(seg, 5 * 4096, 4096), await(block).toByteArray());
        CacheStats after = c.stats();
        assertEquals(4096, after.localBytesRead() - before.localBytesRead(), after.toString());
        assertEquals(1, after.inlineHits() - before.inlineHits());
        assertEquals(1, after.hits() - before.hits());

        // A segment slot (4 KiB block + 4-byte CRC at 64 + i × 4100) straddles two pieces.
        before = after;
        long slot7 = 64 + 7 * 4100;
        assertArrayEquals(slice(seg, slot7, 4100), read(c, SEG1, slot7, 4100));
        after = c.stats();
        assertEquals(2 * 4096, after.localBytesRead() - before.localBytesRead(), after.toString());

        // The last chunk is 100 bytes: its one short piece.
        before = after;
        assertArrayEquals(slice(seg, 2 * PIECED_CHUNK + 10, 50), read(c, SEG1, 2 * PIECED_CHUNK + 10, 50));
        assertEquals(100, c.stats().localBytesRead() - before.localBytesRead());

        // A read too large to answer inline goes through the read pool and still reads only its pieces:
        // pieces 3..15 of chunk 0 and 0..4 of chunk 1.
        before = c.stats();
        assertArrayEquals(slice(seg, 3 * 4096 + 5, 70_000), read(c, SEG1, 3 * 4096 + 5, 70_000));
        after = c.stats();
        assertEquals((13 + 5) * 4096, after.localBytesRead() - before.localBytesRead(), after.toString());
        assertEquals(before.inlineHits(), after.inlineHits());
        assertEquals(2, after.hits() - before.hits());
        assertEquals(gets, store.calls(Op.GET), "all hits");
        assertEquals(0, after.checksumFailures());
    }

    @Test
    void aCorruptedPieceIsAMissOnlyForReadsThatTouchIt() throws IOException {
        createVolume(memory, P);
        byte[] seg = createSegment(memory, P, 1, 2 * PIECED_CHUNK, 17);
        CachingObjectStore c = pieceCache(dir);
        read(c, SEG1, 0, seg.length);
        await(c.drainInserts());
        // Flip one byte of piece 3 of chunk 0, wherever its slot is.
        Path dataFile = dir.resolve(ChunkCache.DATA_FILE);
        byte[] file = Files.readAllBytes(dataFile);
        int at = indexOf(file, slice(seg, 3 * 4096, 4096));
        assertTrue(at >= 0);
        try (FileChannel ch = FileChannel.open(dataFile, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {(byte) ~file[at + 100]}), at + 100);
        }
        long gets = store.calls(Op.GET);

        // Another piece of the same chunk is checked on its own and still served from the cache.
        assertArrayEquals(slice(seg, 5 * 4096, 4096), read(c, SEG1, 5 * 4096, 4096));
        assertEquals(gets, store.calls(Op.GET));
        assertEquals(0, c.stats().checksumFailures());

        // A read that touches the bad piece fails its check: the chunk is dropped and the store answers.
        assertArrayEquals(slice(seg, 3 * 4096 + 50, 200), read(c, SEG1, 3 * 4096 + 50, 200));
        assertEquals(gets + 1, store.calls(Op.GET));
        assertEquals(1, c.stats().checksumFailures());

        // The refetched chunk is cached again (in another slot); every piece of it is a hit with the right bytes.
        await(c.drainInserts());
        gets = store.calls(Op.GET);
        for (int piece = 0; piece < 16; piece++) {
            assertArrayEquals(slice(seg, piece * 4096L, 4096), read(c, SEG1, piece * 4096L, 4096), "piece " + piece);
        }
        assertEquals(gets, store.calls(Op.GET));
        assertEquals(1, c.stats().checksumFailures());
    }

    @Test
    void aCacheDirectoryOfAnOlderLayoutIsRecreatedEmpty() throws IOException {
        createVolume(memory, P);
        byte[] seg = createSegment(memory, P, 1, 4 * CHUNK, 18);
        Path at = dir.resolve("old");
        CachingObjectStore c = cache(at, 16);
        read(c, SEG1, 0, 4 * CHUNK);
        await(c.drainInserts());
        c.close();
        // What layout 1 (one CRC per chunk, 24-byte entries) left behind: the same files, another version.
        Path meta = at.resolve(ChunkCache.META_FILE);
        String current = Files.readString(meta);
        assertTrue(current.contains("layout-version=" + ChunkCache.LAYOUT_VERSION + "\n"), current);
        Files.writeString(meta, current.replace("layout-version=" + ChunkCache.LAYOUT_VERSION, "layout-version=1")
                .replaceAll("piece-size-bytes=.*\n", ""));

        CachingObjectStore again = cache(at, 16);
        assertEquals(0, again.stats().entries());
        long gets = store.calls(Op.GET);
        assertArrayEquals(seg, read(again, SEG1, 0, 4 * CHUNK));
        // The segment header (this wrapper checks which object it is once) and the data: refilled from the store.
        assertEquals(gets + 2, store.calls(Op.GET), again.stats().toString());
        assertEquals(0, again.stats().hits());
        assertTrue(Files.readString(meta).contains("layout-version=" + ChunkCache.LAYOUT_VERSION + "\n"));
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static void awaitCondition(java.util.function.BooleanSupplier condition) {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 30 s");
            }
            LockSupport.parkNanos(100_000);
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
