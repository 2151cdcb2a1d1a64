package io.hyperfile.core.store;

import static io.hyperfile.core.store.StoreTesting.await;
import static io.hyperfile.core.store.StoreTesting.failure;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link ObjectStore} must do. Subclasses supply the store; every test works under its own key prefix,
 * so a store may be shared between tests.
 */
public abstract class AbstractObjectStoreContractTest {
    private static final AtomicInteger TEST_NO = new AtomicInteger();

    protected ObjectStore store;
    private String p;

    /** A store to test; closed after each test. */
    protected abstract ObjectStore createStore() throws Exception;

    /** Size of the large-object test: at least 64 MiB. */
    protected long largeObjectBytes() {
        return (64L << 20) + 4097;
    }

    @BeforeEach
    void setUpStore() throws Exception {
        store = createStore();
        p = "contract-" + System.nanoTime() + "-" + TEST_NO.incrementAndGet() + "/";
    }

    @AfterEach
    void closeStore() {
        if (store != null) {
            store.close();
        }
    }

    /** A key under this test's prefix. */
    protected String k(String name) {
        return p + name;
    }

    protected static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    private byte[] read(String key, ByteRange range) {
        return await(store.get(key, range)).toByteArray();
    }

    @Test
    void putThenGetReturnsTheSameBytes() {
        byte[] data = random(1024, 1);
        await(store.put(k("a"), ByteBuffer.wrap(data)));
        ObjectData got = await(store.get(k("a"), ByteRange.all()));
        assertArrayEquals(data, got.toByteArray());
        assertEquals(0, got.offset());
        assertEquals(1024, got.objectSize());
    }

    @Test
    void putDoesNotMoveTheCallersBuffer() {
        ByteBuffer data = ByteBuffer.wrap(random(100, 2));
        data.position(10);
        await(store.put(k("a"), data));
        assertEquals(10, data.position());
        assertArrayEquals(Arrays.copyOfRange(data.array(), 10, 100), read(k("a"), ByteRange.all()));
    }

    @Test
    void putReplacesAnExistingObject() {
        await(store.put(k("a"), ByteBuffer.wrap(random(5000, 3))));
        byte[] second = random(10, 4);
        await(store.put(k("a"), ByteBuffer.wrap(second)));
        assertArrayEquals(second, read(k("a"), ByteRange.all()));
    }

    @Test
    void missingObjectIsNotFound() {
        ObjectNotFoundException e = failure(ObjectNotFoundException.class, store.get(k("missing"), ByteRange.all()));
        assertEquals(k("missing"), e.key());
        assertEquals(FailureCategory.NOT_FOUND, e.category());
        failure(ObjectNotFoundException.class, store.get(k("missing"), ByteRange.suffix(10)));
        assertNull(await(store.head(k("missing"))));
    }

    @Test
    void headGivesSizeAndTime() {
        await(store.put(k("a"), ByteBuffer.wrap(random(777, 5))));
        ObjectInfo info = await(store.head(k("a")));
        assertEquals(k("a"), info.key());
        assertEquals(777, info.size());
        assertNotNull(info.lastModified());
    }

    @Test
    void rangesAtTheEdgesOfAnObject() {
        byte[] data = random(10_000, 6);
        await(store.put(k("a"), ByteBuffer.wrap(data)));

        ObjectData first = await(store.get(k("a"), ByteRange.of(0, 1)));
        assertArrayEquals(new byte[] {data[0]}, first.toByteArray());
        assertEquals(0, first.offset());
        assertEquals(10_000, first.objectSize());

        ObjectData last = await(store.get(k("a"), ByteRange.of(9_999, 1)));
        assertArrayEquals(new byte[] {data[9_999]}, last.toByteArray());
        assertEquals(9_999, last.offset());

        ObjectData cut = await(store.get(k("a"), ByteRange.of(9_990, 100)));
        assertArrayEquals(Arrays.copyOfRange(data, 9_990, 10_000), cut.toByteArray());

        ObjectData middle = await(store.get(k("a"), ByteRange.of(4_096, 4_096)));
        assertArrayEquals(Arrays.copyOfRange(data, 4_096, 8_192), middle.toByteArray());
        assertEquals(4_096, middle.offset());

        assertArrayEquals(Arrays.copyOfRange(data, 5_000, 10_000), read(k("a"), ByteRange.from(5_000)));

        ObjectData suffix = await(store.get(k("a"), ByteRange.suffix(100)));
        assertArrayEquals(Arrays.copyOfRange(data, 9_900, 10_000), suffix.toByteArray());
        assertEquals(9_900, suffix.offset());
        assertEquals(10_000, suffix.objectSize());

        ObjectData longSuffix = await(store.get(k("a"), ByteRange.suffix(1_000_000)));
        assertArrayEquals(data, longSuffix.toByteArray());
        assertEquals(0, longSuffix.offset());

        InvalidRangeException beyond = failure(InvalidRangeException.class, store.get(k("a"), ByteRange.of(10_000, 1)));
        assertEquals(k("a"), beyond.key());
        failure(InvalidRangeException.class, store.get(k("a"), ByteRange.from(20_000)));
    }

    /** What a reader saw: the bytes copied out, where they start and the object's size. */
    private record Seen(byte[] bytes, long offset, long objectSize) {
    }

    private Seen readLent(String key, ByteRange range) {
        return await(store.read(key, range, d -> new Seen(d.toByteArray(), d.offset(), d.objectSize())));
    }

    @Test
    void readLendsTheSameBytesAsGet() {
        byte[] data = random(3 << 20, 16);
        await(store.put(k("r"), ByteBuffer.wrap(data)));
        List<ByteRange> ranges = List.of(ByteRange.of(0, 1), ByteRange.of(4_100, 4_100 * 256), ByteRange.of(1, 4_099),
                ByteRange.of(data.length - 10, 100), ByteRange.suffix(160), ByteRange.from(2 << 20), ByteRange.all(),
                ByteRange.of(100, 300_000), ByteRange.of(5, (2 << 20) + 1));
        for (ByteRange range : ranges) {
            ObjectData got = await(store.get(k("r"), range));
            Seen seen = readLent(k("r"), range);
            assertArrayEquals(got.toByteArray(), seen.bytes(), "bytes of " + range.httpHeader());
            assertEquals(got.offset(), seen.offset(), "offset of " + range.httpHeader());
            assertEquals(data.length, seen.objectSize(), "size of " + range.httpHeader());
        }
        // One after another on the same threads: a lent buffer reused must not show an earlier read's bytes.
        for (int i = 0; i < 20; i++) {
            int at = (i * 131_071) % (data.length - 70_000);
            int len = 1 + (i * 7_919) % 70_000;
            assertArrayEquals(Arrays.copyOfRange(data, at, at + len), readLent(k("r"), ByteRange.of(at, len)).bytes());
        }
    }

    @Test
    void readFailsAsGetDoesAndPassesTheReadersFailureOn() {
        await(store.put(k("r"), ByteBuffer.wrap(random(10_000, 17))));
        AtomicInteger calls = new AtomicInteger();
        failure(ObjectNotFoundException.class, store.read(k("missing"), ByteRange.of(0, 10), d -> calls.incrementAndGet()));
        failure(InvalidRangeException.class, store.read(k("r"), ByteRange.of(10_000, 1), d -> calls.incrementAndGet()));
        assertEquals(0, calls.get(), "a reader ran for a read that failed");
        IllegalStateException mine = new IllegalStateException("the reader's own");
        IllegalStateException got = failure(IllegalStateException.class, store.read(k("r"), ByteRange.of(0, 10), d -> {
            calls.incrementAndGet();
            throw mine;
        }));
        assertEquals(mine.getMessage(), got.getMessage());
        assertEquals(1, calls.get(), "the reader's failure was retried or the reader ran twice");
        assertThrows(IllegalArgumentException.class, () -> store.read("", ByteRange.all(), d -> d));
    }

    @Test
    void aReaderThatReadsAgainSeesBothReadsRight() {
        byte[] a = random(600_000, 18);
        byte[] b = random(600_000, 19);
        await(store.put(k("a"), ByteBuffer.wrap(a)));
        await(store.put(k("b"), ByteBuffer.wrap(b)));
        Seen[] inner = new Seen[1];
        Seen outer = await(store.read(k("a"), ByteRange.of(1_000, 500_000), d -> {
            byte[] before = d.toByteArray();
            inner[0] = readLent(k("b"), ByteRange.of(2_000, 500_000));
            assertArrayEquals(before, d.toByteArray(), "the inner read changed the outer read's lent bytes");
            return new Seen(before, d.offset(), d.objectSize());
        }));
        assertArrayEquals(Arrays.copyOfRange(a, 1_000, 501_000), outer.bytes());
        assertArrayEquals(Arrays.copyOfRange(b, 2_000, 502_000), inner[0].bytes());
    }

    @Test
    void concurrentReadsEachSeeTheirOwnBytes() throws Exception {
        byte[] data = random(4 << 20, 20);
        await(store.put(k("r"), ByteBuffer.wrap(data)));
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<Future<?>> runs = new ArrayList<>();
            for (int t = 0; t < 6; t++) {
                int seed = t;
                runs.add(pool.submit(() -> {
                    Random rnd = new Random(seed);
                    for (int i = 0; i < 40; i++) {
                        int len = 1 + rnd.nextInt(i % 2 == 0 ? 8_192 : 1_100_000);
                        int at = rnd.nextInt(data.length - len);
                        assertArrayEquals(Arrays.copyOfRange(data, at, at + len),
                                readLent(k("r"), ByteRange.of(at, len)).bytes(), "read of " + len + " at " + at);
                    }
                }));
            }
            for (Future<?> f : runs) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void emptyObjects() {
        await(store.put(k("empty"), ByteBuffer.allocate(0)));
        ObjectData all = await(store.get(k("empty"), ByteRange.all()));
        assertEquals(0, all.length());
        assertEquals(0, all.objectSize());
        assertEquals(0, await(store.get(k("empty"), ByteRange.suffix(16))).length());
        assertEquals(0, await(store.head(k("empty"))).size());
        failure(InvalidRangeException.class, store.get(k("empty"), ByteRange.of(0, 1)));
        await(store.create(k("empty2"), ByteBuffer.allocate(0)));
        failure(ObjectExistsException.class, store.create(k("empty2"), ByteBuffer.allocate(0)));
    }

    @Test
    void largeObjectRoundTrip() {
        int size = Math.toIntExact(largeObjectBytes());
        byte[] data = random(size, 7);
        await(store.put(k("large"), ByteBuffer.wrap(data)));
        assertEquals(size, await(store.head(k("large"))).size());
        assertTrue(Arrays.equals(data, read(k("large"), ByteRange.all())), "whole large object differs");
        int tail = 4 << 20;
        ObjectData last = await(store.get(k("large"), ByteRange.suffix(tail)));
        assertEquals(size - tail, last.offset());
        assertTrue(Arrays.equals(Arrays.copyOfRange(data, size - tail, size), last.toByteArray()), "suffix differs");
        ObjectData mid = await(store.get(k("large"), ByteRange.of(33_554_431, 8192)));
        assertArrayEquals(Arrays.copyOfRange(data, 33_554_431, 33_554_431 + 8192), mid.toByteArray());
    }

    @Test
    void createFailsWhenTheKeyExistsAndKeepsTheObject() {
        byte[] first = random(300, 8);
        await(store.create(k("seg/1"), ByteBuffer.wrap(first)));
        ObjectExistsException e = failure(ObjectExistsException.class, store.create(k("seg/1"), ByteBuffer.wrap(random(300, 9))));
        assertEquals(k("seg/1"), e.key());
        assertEquals(FailureCategory.PRECONDITION, e.category());
        assertArrayEquals(first, read(k("seg/1"), ByteRange.all()));
        // A plain put made earlier also blocks a create.
        await(store.put(k("seg/2"), ByteBuffer.wrap(first)));
        failure(ObjectExistsException.class, store.create(k("seg/2"), ByteBuffer.wrap(first)));
    }

    @Test
    void ofConcurrentCreatesOfOneKeyExactlyOneWins() throws Exception {
        assertTrue(store.capabilities().conditionalCreate());
        int racers = 16;
        ExecutorService pool = Executors.newFixedThreadPool(racers);
        try {
            for (int round = 0; round < 10; round++) {
                String key = k("race/" + round);
                CountDownLatch go = new CountDownLatch(1);
                List<Future<CompletableFuture<Void>>> starts = new ArrayList<>();
                for (int r = 0; r < racers; r++) {
                    byte[] body = ("writer-" + r).getBytes(StandardCharsets.UTF_8);
                    starts.add(pool.submit(() -> {
                        go.await();
                        return store.create(key, ByteBuffer.wrap(body));
                    }));
                }
                go.countDown();
                int winners = 0;
                String winner = null;
                for (int r = 0; r < racers; r++) {
                    CompletableFuture<Void> f = starts.get(r).get();
                    try {
                        await(f);
                        winners++;
                        winner = "writer-" + r;
                    } catch (ObjectExistsException lost) {
                        assertEquals(key, lost.key());
                    }
                }
                assertEquals(1, winners, "round " + round + ": winners");
                assertEquals(winner, new String(read(key, ByteRange.all()), StandardCharsets.UTF_8));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void listingPagesThroughMoreThanAThousandKeysInOrder() {
        int n = 1_234;
        List<String> keys = IntStream.range(0, n).mapToObj(i -> k(String.format("many/%05d", i))).toList();
        putAll(keys);
        await(store.put(k("many0"), ByteBuffer.wrap(new byte[1]))); // shares the text prefix, not the '/' prefix
        await(store.put(k("manz/x"), ByteBuffer.wrap(new byte[1])));

        ListPage firstPage = await(store.list(k("many/"), null, 1000));
        assertEquals(1000, firstPage.objects().size());
        assertTrue(firstPage.isTruncated());
        assertEquals(keys.get(999), firstPage.nextStartAfter());
        ListPage secondPage = await(store.list(k("many/"), firstPage.nextStartAfter(), 1000));
        assertEquals(keys.subList(1000, n), secondPage.objects().stream().map(ObjectInfo::key).toList());
        assertTrue(!secondPage.isTruncated());

        assertEquals(keys, await(store.listAll(k("many/"), null)).stream().map(ObjectInfo::key).toList());
        assertEquals(keys.subList(501, n),
                await(store.listAll(k("many/"), keys.get(500))).stream().map(ObjectInfo::key).toList());
        assertEquals(1, await(store.listAll(k("many/"), null)).get(0).size());

        List<String> small = new ArrayList<>();
        String after = null;
        int pages = 0;
        do {
            ListPage page = await(store.list(k("many/0000"), after, 3));
            page.objects().forEach(o -> small.add(o.key()));
            after = page.nextStartAfter();
            pages++;
        } while (after != null);
        assertEquals(keys.subList(0, 10), small);
        assertTrue(pages >= 4, "pages=" + pages);

        List<String> withText = await(store.listAll(k("many"), keys.get(n - 2))).stream().map(ObjectInfo::key).toList();
        assertEquals(List.of(keys.get(n - 1), k("many0")), withText);
        assertEquals(List.of(), await(store.listAll(k("many/"), k("many/99999"))));
        assertEquals(List.of(), await(store.listAll(k("nothing-here/"), null)));
    }

    @Test
    void oddAndUnicodeKeysRoundTripAndListInUtf8Order() {
        List<String> names = List.of("plain", "with space", "per%cent", "plus+sign", "q?mark", "hash#", "amp&eq=",
                "star*colon:", "paren(s)[b]{c}", "tilde~at@", "comma,semi;", "quote'dq\"", "back\\slash", "caf\u00e9",
                "\u65e5\u672c\u8a9e", "\ud83d\ude00emoji", "\uffe0fullwidth", ".dotfirst", "trailing.", "UPPER", "dash-_",
                "dir/inner name", "dir/\u00fcml\u00e4ut");
        List<String> keys = names.stream().map(this::k).toList();
        for (int i = 0; i < keys.size(); i++) {
            await(store.put(keys.get(i), ByteBuffer.wrap(("v" + i).getBytes(StandardCharsets.UTF_8))));
        }
        for (int i = 0; i < keys.size(); i++) {
            assertEquals("v" + i, new String(read(keys.get(i), ByteRange.all()), StandardCharsets.UTF_8), keys.get(i));
        }
        List<String> expected = new ArrayList<>(keys);
        expected.sort(Comparator.comparing(s -> s.getBytes(StandardCharsets.UTF_8), Arrays::compareUnsigned));
        assertEquals(expected, await(store.listAll(p, null)).stream().map(ObjectInfo::key).toList());
        // the emoji (U+1F600) sorts after U+FFE0 in UTF-8 order, though not in UTF-16 order
        assertTrue(expected.indexOf(k("\ud83d\ude00emoji")) > expected.indexOf(k("\uffe0fullwidth")));
        assertEquals(List.of(k("dir/\u00fcml\u00e4ut")),
                await(store.listAll(k("dir/"), k("dir/inner name"))).stream().map(ObjectInfo::key).toList());
    }

    @Test
    void invalidKeysAreRejectedUpFront() {
        ByteBuffer b = ByteBuffer.allocate(1);
        for (String bad : new String[] {"", "/lead", "trail/", "a//b", "a/./b", "../x", "ctl\u0001", "x\ud800"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> store.put(bad, b), bad);
            assertTrue(e.getMessage().startsWith("key "), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> store.put("x".repeat(1025), b));
        assertThrows(IllegalArgumentException.class, () -> store.list(p, null, 0));
        assertThrows(IllegalArgumentException.class, () -> store.list(p, null, 1001));
    }

    @Test
    void keyAndKeysUnderItAsPrefix() {
        await(store.put(k("n"), ByteBuffer.wrap(new byte[] {1})));
        if (store.capabilities().nestedKeys()) {
            await(store.put(k("n/child"), ByteBuffer.wrap(new byte[] {2})));
            assertEquals(List.of(k("n"), k("n/child")), await(store.listAll(p, null)).stream().map(ObjectInfo::key).toList());
        } else {
            StorageException e = failure(StorageException.class, store.put(k("n/child"), ByteBuffer.wrap(new byte[] {2})));
            assertEquals(FailureCategory.INVALID, e.category());
            assertTrue(e.getMessage().contains("prefix"), e.getMessage());
            assertArrayEquals(new byte[] {1}, read(k("n"), ByteRange.all()));
        }
    }

    @Test
    void deleteRemovesAndIsIdempotent() {
        await(store.put(k("d"), ByteBuffer.wrap(new byte[10])));
        await(store.delete(k("d")));
        assertNull(await(store.head(k("d"))));
        failure(ObjectNotFoundException.class, store.get(k("d"), ByteRange.all()));
        await(store.delete(k("d")));
        await(store.delete(k("never/existed")));
        await(store.create(k("d"), ByteBuffer.wrap(new byte[3])));
        assertEquals(3, await(store.head(k("d"))).size());
    }

    @Test
    void batchDeleteSplitsLargeBatchesAndIgnoresMissingKeys() {
        List<String> keys = IntStream.range(0, 1_100).mapToObj(i -> k("b/" + i)).toList();
        putAll(keys);
        await(store.put(k("keep"), ByteBuffer.wrap(new byte[1])));
        List<String> doomed = new ArrayList<>(keys);
        doomed.add(k("b/missing"));
        await(store.deleteAll(doomed));
        assertEquals(List.of(k("keep")), await(store.listAll(p, null)).stream().map(ObjectInfo::key).toList());
        await(store.deleteAll(List.of()));
    }

    @Test
    void closedStoreRefusesWork() {
        store.close();
        failure(IllegalStateException.class, store.get(k("a"), ByteRange.all()));
        store.close();
        store = null;
    }

    private void putAll(List<String> keys) {
        List<CompletableFuture<Void>> inFlight = new ArrayList<>();
        for (String key : keys) {
            inFlight.add(store.put(key, ByteBuffer.wrap(new byte[] {7})));
            if (inFlight.size() == 64) {
                inFlight.forEach(StoreTesting::await);
                inFlight.clear();
            }
        }
        inFlight.forEach(StoreTesting::await);
    }
}
