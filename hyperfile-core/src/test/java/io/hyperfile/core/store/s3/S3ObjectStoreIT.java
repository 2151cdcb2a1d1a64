package io.hyperfile.core.store.s3;

import static io.hyperfile.core.store.StoreTesting.await;
import static io.hyperfile.core.store.StoreTesting.failure;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.store.AbstractObjectStoreContractTest;
import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.FailureCategory;
import io.hyperfile.core.store.InvalidRangeException;
import io.hyperfile.core.store.ListPage;
import io.hyperfile.core.store.ObjectData;
import io.hyperfile.core.store.ObjectExistsException;
import io.hyperfile.core.store.ObjectInfo;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.store.StorageException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The object-store contract and the S3-specific behaviour of {@link S3ObjectStore}, against the run's S3 backend
 * ({@link S3Backend}: LocalStack with Docker, embedded S3Proxy without). SDK-default checksums; a general-purpose
 * bucket of its own.
 */
@ExtendWith(S3Backend.class)
class S3ObjectStoreIT extends AbstractObjectStoreContractTest {
    private static S3Backend.Backend backend;
    private static String bucket;

    @BeforeAll
    static void useBucket(S3Backend.ClassBucket b) {
        backend = b.backend();
        bucket = b.name();
    }

    @Override
    protected ObjectStore createStore() {
        return new S3ObjectStore(backend.storeConfig(bucket).build());
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void keyPrefixIsolatesStoresSharingABucket() {
        String base = k("iso");
        try (S3ObjectStore a = new S3ObjectStore(backend.storeConfig(bucket).keyPrefix(base + "/team-a/").build());
                S3ObjectStore b = new S3ObjectStore(backend.storeConfig(bucket).keyPrefix(base + "/team-b/").build())) {
            await(a.put("seg/1", ByteBuffer.wrap(utf8("from a"))));
            await(b.create("seg/1", ByteBuffer.wrap(utf8("from b")))); // same relative key, other prefix
            await(a.put("seg/2", ByteBuffer.wrap(utf8("a2"))));

            assertEquals("from a", new String(await(a.get("seg/1", ByteRange.all())).toByteArray(), StandardCharsets.UTF_8));
            assertEquals("from b", new String(await(b.get("seg/1", ByteRange.all())).toByteArray(), StandardCharsets.UTF_8));
            assertNull(await(b.head("seg/2")));
            assertEquals("seg/1", await(a.head("seg/1")).key());

            assertEquals(List.of("seg/1", "seg/2"), keys(await(a.listAll("", null))));
            assertEquals(List.of("seg/1"), keys(await(b.listAll("seg/", null))));
            ListPage page = await(a.list("", null, 1));
            assertEquals(List.of("seg/1"), keys(page.objects()));
            assertEquals("seg/1", page.nextStartAfter(), "nextStartAfter is relative to the prefix");
            assertEquals(List.of("seg/2"), keys(await(a.listAll("", page.nextStartAfter()))));

            // The unprefixed store sees the full keys.
            assertEquals(List.of(base + "/team-a/seg/1", base + "/team-a/seg/2", base + "/team-b/seg/1"),
                    keys(await(store.listAll(base + "/", null))));

            failure(ObjectExistsException.class, a.create("seg/1", ByteBuffer.wrap(utf8("again"))));
            await(a.deleteAll(List.of("seg/1", "seg/2")));
            assertEquals(List.of(), await(a.listAll("", null)));
            assertEquals(List.of("seg/1"), keys(await(b.listAll("", null))));
        }
    }

    @Test
    void keyPrefixShortensTheLongestKey() {
        String prefix = k("long") + "/";
        int prefixBytes = utf8(prefix).length;
        try (S3ObjectStore s = new S3ObjectStore(backend.storeConfig(bucket).keyPrefix(prefix).build())) {
            assertEquals(1024 - prefixBytes, s.capabilities().maxKeyBytes());
            String longest = "k".repeat(s.capabilities().maxKeyBytes());
            await(s.put(longest, ByteBuffer.wrap(new byte[] {1})));
            assertEquals(1, await(s.head(longest)).size());
            IllegalArgumentException e = failure(IllegalArgumentException.class,
                    s.put(longest + "k", ByteBuffer.wrap(new byte[] {1})));
            assertEquals("key is longer than " + (1024 - prefixBytes) + " UTF-8 bytes (1024 minus the key prefix '"
                    + prefix + "'). bytes=" + (1025 - prefixBytes), e.getMessage());
        }
    }

    @Test
    void concurrentCreatesOfOneKeyHaveExactlyOneWinnerInEveryRound() {
        int racers = 16;
        for (int round = 0; round < 20; round++) {
            String key = k("race20/" + round);
            List<CompletableFuture<Void>> creates = new ArrayList<>();
            for (int r = 0; r < racers; r++) {
                creates.add(store.create(key, ByteBuffer.wrap(utf8("writer-" + r))));
            }
            List<String> winners = new ArrayList<>();
            for (int r = 0; r < racers; r++) {
                try {
                    await(creates.get(r));
                    winners.add("writer-" + r);
                } catch (ObjectExistsException lost) {
                    assertEquals(key, lost.key());
                    assertEquals(FailureCategory.PRECONDITION, lost.category());
                }
            }
            assertEquals(1, winners.size(), "round " + round + ": winners " + winners);
            assertEquals(winners.get(0),
                    new String(await(store.get(key, ByteRange.all())).toByteArray(), StandardCharsets.UTF_8));
        }
    }

    @ParameterizedTest
    @EnumSource(S3StoreConfig.ChecksumMode.class)
    void zeroByteObjectsReadUnderEitherChecksumMode(S3StoreConfig.ChecksumMode mode) {
        try (S3ObjectStore s = new S3ObjectStore(backend.storeConfig(bucket).checksumMode(mode).build())) {
            String key = k("zero-" + mode);
            await(s.put(key, ByteBuffer.allocate(0)));
            ObjectData all = await(s.get(key, ByteRange.all()));
            assertEquals(0, all.length());
            assertEquals(0, all.offset());
            assertEquals(0, all.objectSize());
            ObjectData suffix = await(s.get(key, ByteRange.suffix(4096)));
            assertEquals(0, suffix.length());
            assertEquals(0, suffix.objectSize());
            InvalidRangeException e = failure(InvalidRangeException.class, s.get(key, ByteRange.of(0, 1)));
            assertEquals(key, e.key());
            assertEquals(0, await(s.head(key)).size());
            // and a non-empty object still reads normally through the same client
            await(s.put(key + "-one", ByteBuffer.wrap(new byte[] {42})));
            assertArrayEquals(new byte[] {42}, await(s.get(key + "-one", ByteRange.all())).toByteArray());
        }
    }

    @Test
    void wrongAccessKeyIsAnAuthFailure() {
        S3StoreConfig config = backend.storeConfig(bucket).credentials("no-such-access-key", "wrong-secret").build();
        try (S3ObjectStore s = new S3ObjectStore(config)) {
            assertAuthFailure(s, k("auth/a"));
        }
    }

    @Test
    void wrongSecretIsAnAuthFailure() {
        S3StoreConfig good = backend.storeConfig(bucket).build();
        S3StoreConfig config = good.toBuilder().credentials(good.credentials().accessKeyId(), "wrong-secret").build();
        try (S3ObjectStore s = new S3ObjectStore(config)) {
            assertAuthFailure(s, k("auth/b"));
        }
    }

    private void assertAuthFailure(S3ObjectStore s, String key) {
        await(store.put(key, ByteBuffer.wrap(new byte[] {1})));
        StorageException put = failure(StorageException.class, s.put(key, ByteBuffer.wrap(new byte[] {2})));
        assertEquals(FailureCategory.AUTH, put.category(), put.getMessage());
        assertTrue(put.getMessage().startsWith("PutObject " + key + ": HTTP 403"), put.getMessage());
        assertTrue(!put.isRetryable());
        StorageException get = failure(StorageException.class, s.get(key, ByteRange.all()));
        assertEquals(FailureCategory.AUTH, get.category(), get.getMessage());
        StorageException head = failure(StorageException.class, s.head(key));
        assertEquals(FailureCategory.AUTH, head.category(), head.getMessage());
        StorageException list = failure(StorageException.class, s.list("", null, 10));
        assertEquals(FailureCategory.AUTH, list.category(), list.getMessage());
        assertArrayEquals(new byte[] {1}, await(store.get(key, ByteRange.all())).toByteArray(), "object unchanged");
    }

    @Test
    void missingBucketIsNotFound() {
        try (S3ObjectStore s = new S3ObjectStore(backend.storeConfig(bucket + "-missing").build())) {
            StorageException e = failure(StorageException.class, s.put("k", ByteBuffer.wrap(new byte[1])));
            assertEquals(FailureCategory.NOT_FOUND, e.category(), e.getMessage());
            assertTrue(e.getMessage().contains("NoSuchBucket"), e.getMessage());
        }
    }

    @Test
    void unreachableEndpointIsTransient() throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();
        }
        S3StoreConfig config = backend.storeConfig(bucket)
                .endpoint(URI.create("http://127.0.0.1:" + port)).build();
        try (S3ObjectStore s = new S3ObjectStore(config)) {
            StorageException e = failure(StorageException.class, s.get("k", ByteRange.all()));
            assertEquals(FailureCategory.TRANSIENT, e.category(), e.getMessage());
            assertTrue(e.isRetryable());
        }
    }

    @Test
    void completionsNeverRunOnCrtEventLoopThreads() {
        await(store.put(k("thread"), ByteBuffer.wrap(new byte[] {1})));
        String caller = Thread.currentThread().getName();
        List<CompletableFuture<String>> threads = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            threads.add(store.get(k("thread"), ByteRange.all()).thenApply(d -> Thread.currentThread().getName()));
            threads.add(store.get(k("thread-missing"), ByteRange.all())
                    .handle((d, e) -> Thread.currentThread().getName()));
            threads.add(store.head(k("thread")).thenApply(i2 -> Thread.currentThread().getName()));
        }
        for (CompletableFuture<String> f : threads) {
            String name = await(f);
            // a callback added after completion runs on the caller; otherwise on the store's completion threads
            assertTrue(name.startsWith("hf-s3-complete-") || name.equals(caller), name);
        }
    }

    /**
     * Directory-bucket mode forced on this general-purpose bucket (the store then lists whole '/'-directories and
     * filters, orders and pages itself) must list exactly like the normal mode, page by page.
     */
    @Test
    void forcedDirectoryBucketModeListsLikeTheNormalMode() {
        String root = k("dirmode");
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            names.add(String.format("d/%03d", i));
        }
        names.addAll(List.of("d/sub/x", "d/sub/y", "d0", "d00/z", "da", "e", "caf\u00e9/1", "\ud83d\ude00", "\uffe0",
                "d/\u00e9", "d/ z"));
        List<CompletableFuture<Void>> puts = new ArrayList<>();
        for (String n : names) {
            puts.add(store.put(root + "/" + n, ByteBuffer.wrap(utf8(n))));
        }
        puts.forEach(f -> await(f));

        S3StoreConfig directoryMode = backend.storeConfig(bucket).keyPrefix(root + "/")
                .bucketType(S3StoreConfig.BucketType.DIRECTORY).build();
        S3StoreConfig normalMode = directoryMode.toBuilder().bucketType(S3StoreConfig.BucketType.GENERAL_PURPOSE).build();
        assertTrue(directoryMode.directoryBucket());
        try (S3ObjectStore dir = new S3ObjectStore(directoryMode);
                S3ObjectStore normal = new S3ObjectStore(normalMode)) {
            List<String> sorted = new ArrayList<>(names);
            sorted.sort(Comparator.comparing(S3ObjectStoreIT::utf8, Arrays::compareUnsigned));
            assertEquals(sorted, keys(await(normal.listAll("", null))));
            for (String prefix : List.of("", "d", "d/", "d/0", "d/sub/", "caf\u00e9/", "x")) {
                for (String after : Arrays.asList(null, "d/010", "d/sub", "d0", "\uffe0", "zzz")) {
                    for (int maxKeys : new int[] {2, 7, 1000}) {
                        assertEquals(pages(normal, prefix, after, maxKeys), pages(dir, prefix, after, maxKeys),
                                "prefix=" + prefix + " startAfter=" + after + " maxKeys=" + maxKeys);
                    }
                }
            }
        }
    }

    /** Every page of a listing, as "key:size" strings, with each page's nextStartAfter. */
    static List<String> pages(ObjectStore s, String prefix, String startAfter, int maxKeys) {
        List<String> out = new ArrayList<>();
        String after = startAfter;
        do {
            ListPage page = await(s.list(prefix, after, maxKeys));
            assertTrue(page.objects().size() <= maxKeys);
            for (ObjectInfo o : page.objects()) {
                out.add(o.key() + ":" + o.size());
            }
            out.add("| next=" + page.nextStartAfter());
            assertNotEquals(after == null ? "" : after, page.nextStartAfter(), "listing must advance");
            after = page.nextStartAfter();
        } while (after != null);
        return out;
    }

    static List<String> keys(List<ObjectInfo> infos) {
        return infos.stream().map(ObjectInfo::key).toList();
    }
}
