package io.hyperfile.core.store.local;

import io.hyperfile.core.store.AbstractObjectStore;
import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.FailureCategory;
import io.hyperfile.core.store.ListPage;
import io.hyperfile.core.store.ObjectData;
import io.hyperfile.core.store.ObjectExistsException;
import io.hyperfile.core.store.ObjectInfo;
import io.hyperfile.core.store.ObjectKeys;
import io.hyperfile.core.store.ObjectNotFoundException;
import io.hyperfile.core.store.StorageException;
import io.hyperfile.core.store.StoreCapabilities;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Objects as files under a root directory: Hyperfile's embedded default store.
 *
 * <p>Layout: key {@code a/b/c} is the file {@code root/a/b/c}; each path segment is written through
 * {@link LocalKeyCodec}, which keeps {@code [A-Za-z0-9._-]} as is and escapes everything else as {@code %XX} of its
 * UTF-8 bytes (a leading {@code .} too), so names are portable ASCII and never collide with temporary files, whose
 * names start with {@code .tmp-}. Because a path is either a file or a directory, this store cannot hold both
 * {@code a} and {@code a/b} ({@link StoreCapabilities#nestedKeys()} is false): the second fails with
 * {@link FailureCategory#INVALID}. Hyperfile's own keys never do that.
 *
 * <p>Durability and atomicity: a put or create writes a temporary file in the target directory and fsyncs it;
 * a put then renames it over the target, a create hard-links it to the target name (which fails if the name
 * exists, so of any number of racing creates, in one process or many, exactly one wins); then the directory is
 * fsynced, as is the parent of every directory created on the way. A crash leaves the old object or the new one,
 * and at worst an orphan {@code .tmp-*} file, which listings skip and which may be deleted at any time (a temporary
 * file that cannot be deleted is therefore only logged). When the directory fsync after a create's link fails, the
 * object exists but may not survive a crash: the create fails TRANSIENT, and its retry finds the name taken,
 * fsyncs the directory before saying so, and (behind {@code RetryingObjectStore}) reads the object back. Deletes
 * are not fsynced: a delete lost in a crash only brings back an object that garbage collection deletes again.
 * The file system must support hard links.
 *
 * <p>File I/O blocks, so operations run on this store's own pool of {@code hf-local-io-N} threads. Reads are the
 * exception where the directory lives in memory ({@code tmpfs} or {@code ramfs}, see {@link #isMemoryBacked}): a
 * ranged read shorter than {@value #INLINE_LIMIT_BYTES} bytes never waits for a device there, so it runs on the
 * caller's thread and completes before {@code get} returns, which saves two thread hand-offs per read (half the
 * latency of a 4 KiB read at queue depth 1). Larger reads stay on the pool, where their copying and checksumming run
 * beside the caller's work.
 *
 * <p>Reads keep the files they open ({@link OpenFiles}, at most {@value #OPEN_FILES}, closed when unused for a
 * minute or when this store replaces or deletes the object), so a read is a {@code stat} of the name, to check the
 * file there is still the one kept open, and a {@code pread}; a segment of a volume whose descriptor this store has
 * read is just the {@code pread} (see {@link OpenFiles} for why that is safe).
 *
 * <p>A {@code get} copies into a fresh heap buffer, which the caller owns. A {@code read} (the volume's data reads)
 * reads into its thread's {@link ReadScratch}, off-heap memory that is reused, and lends it to the reader, which
 * copies out what it keeps: no allocation, and no copy through the JDK's temporary direct buffer that a read into a
 * heap buffer makes (docs/PERFORMANCE.md, "Lent reads"). Two other ways were measured and dropped (docs/PERFORMANCE.md,
 * "Local-directory reads"): a memory mapping per read pays a page fault per page each time, and a direct buffer per
 * read is freed only by a garbage collection, so at a gigabyte a second it runs into the direct-memory limit, which
 * the JVM answers with a full collection (twice a second in that test).
 */
public final class LocalDirectoryObjectStore extends AbstractObjectStore {
    private static final Logger LOG = LoggerFactory.getLogger(LocalDirectoryObjectStore.class);

    private final Path root;
    /** On a memory-backed directory, ranged reads shorter than this run on the caller's thread. */
    static final int INLINE_LIMIT_BYTES = 256 << 10;
    private final ExecutorService executor;
    private final boolean inlineReads;
    /** Files of recent reads, kept open (see {@link OpenFiles}). */
    private final OpenFiles openFiles;
    /** How many files reads keep open at most. */
    static final int OPEN_FILES = 256;
    /** How often files not read since the last sweep are closed. */
    private static final long SWEEP_SECONDS = 30;
    private final StoreCapabilities capabilities = new StoreCapabilities(true, false, 1000, ObjectKeys.MAX_KEY_BYTES);

    /**
     * A store rooted at {@code root} (created if missing) with 8 I/O threads, reading on the caller's thread if the
     * directory is memory-backed.
     */
    public LocalDirectoryObjectStore(Path root) {
        this(root, 8, isMemoryBacked(root));
    }

    public LocalDirectoryObjectStore(Path root, int ioThreads) {
        this(root, ioThreads, false);
    }

    /** {@code inlineReads}: run reads on the caller's thread (only where reads never block on a device). */
    public LocalDirectoryObjectStore(Path root, int ioThreads, boolean inlineReads) {
        this(root, ioThreads, inlineReads, OPEN_FILES);
    }

    /** As above, keeping at most {@code openFiles} files of reads open (tests use small tables). */
    LocalDirectoryObjectStore(Path root, int ioThreads, boolean inlineReads, int openFiles) {
        if (ioThreads < 1) {
            throw new IllegalArgumentException("ioThreads must be positive. ioThreads=" + ioThreads);
        }
        this.root = root.toAbsolutePath().normalize();
        try {
            Files.createDirectories(this.root);
        } catch (IOException e) {
            throw new StorageException(null, FailureCategory.UNKNOWN, "cannot create store directory " + this.root, e);
        }
        AtomicInteger n = new AtomicInteger();
        ThreadFactory threads = r -> {
            Thread t = new Thread(r, "hf-local-io-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        this.executor = Executors.newFixedThreadPool(ioThreads, threads);
        this.inlineReads = inlineReads;
        this.openFiles = new OpenFiles(openFiles);
        scheduleSweep();
    }

    private void scheduleSweep() {
        CompletableFuture.delayedExecutor(SWEEP_SECONDS, TimeUnit.SECONDS, executor).execute(() -> {
            if (!executor.isShutdown()) {
                openFiles.sweep();
                scheduleSweep();
            }
        });
    }

    /** How many files reads keep open now (for tests). */
    int openFileCount() {
        return openFiles.size();
    }

    /**
     * Whether {@code dir} (or its nearest existing ancestor) is on a file system kept in memory ({@code tmpfs},
     * {@code ramfs}), where reading a file never waits for a device.
     */
    public static boolean isMemoryBacked(Path dir) {
        Path p = dir.toAbsolutePath().normalize();
        while (p != null && !Files.exists(p)) {
            p = p.getParent();
        }
        try {
            String type = p == null ? "" : Files.getFileStore(p).type();
            return type.equals("tmpfs") || type.equals("ramfs");
        } catch (IOException e) {
            return false;
        }
    }

    /** Whether reads run on the caller's thread (see the class comment). */
    public boolean readsInline() {
        return inlineReads;
    }

    public Path root() {
        return root;
    }

    @Override
    public StoreCapabilities capabilities() {
        return capabilities;
    }

    @Override
    protected CompletableFuture<ObjectData> doGetAsync(String key, ByteRange range) {
        IoSupplier<ObjectData> work = () -> readObject(key, range, null);
        // Large reads stay on the pool even in memory: their copying and checksumming then run beside the caller's.
        boolean small = range instanceof ByteRange.Span span && span.length() < INLINE_LIMIT_BYTES;
        return inlineReads && small ? inline(key, work) : async(key, work);
    }

    /**
     * Reads into this thread's {@link ReadScratch} (off-heap, reused) and lends it to {@code reader}: no buffer is
     * allocated, and the kernel copies straight into off-heap memory, where a heap buffer costs the JDK a copy through
     * a temporary direct buffer of its own. A read larger than the scratch may grow, or one made while this thread's
     * scratch is lent (a reader that reads again), gets a heap buffer as {@code get} does.
     */
    @Override
    protected <T> CompletableFuture<T> doReadAsync(String key, ByteRange range, Function<ObjectData, T> reader) {
        Supplier<T> work = () -> {
            ReadScratch scratch = ReadScratch.lend();
            try {
                ObjectData data = translated(key, () -> readObject(key, range, scratch)).get();
                // The reader runs outside translated(): its failures are its own, never taken for I/O errors.
                return reader.apply(data);
            } finally {
                ReadScratch.giveBack(scratch);
            }
        };
        boolean small = range instanceof ByteRange.Span span && span.length() < INLINE_LIMIT_BYTES;
        if (inlineReads && small) {
            try {
                return CompletableFuture.completedFuture(work.get());
            } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(e);
            }
        }
        return CompletableFuture.supplyAsync(work, executor);
    }

    /** The object's bytes of {@code range}, in {@code scratch} if given and large enough, else in a heap buffer. */
    private ObjectData readObject(String key, ByteRange range, ReadScratch scratch) throws IOException {
        OpenFiles.Handle file = open(key, null);
        try {
            return read(key, file, range, scratch);
        } catch (ClosedChannelException e) {
            // The table closed this file while we read it (evicted, swept, or its object replaced): read again
            // from a file of our own, which sees whatever the name holds now.
            OpenFiles.Handle own = open(key, file.path);
            try {
                return read(key, own, range, scratch);
            } finally {
                own.release();
            }
        } finally {
            file.release();
        }
    }

    /** The open file of {@code key}: from the table, or (given {@code own}, its path) a new one of the caller's. */
    private OpenFiles.Handle open(String key, Path own) throws IOException {
        try {
            return own == null ? openFiles.acquire(key, this::fileOf) : OpenFiles.openUncached(own);
        } catch (NoSuchFileException e) {
            throw new ObjectNotFoundException(key, "no such object: " + key);
        } catch (IOException e) {
            if (Files.isDirectory(fileOf(key))) {
                throw new ObjectNotFoundException(key, "no such object: " + key);
            }
            throw e;
        }
    }

    private static ObjectData read(String key, OpenFiles.Handle file, ByteRange range, ReadScratch scratch)
            throws IOException {
        long size = file.size();
        long[] r = resolve(key, range, size);
        int length = Math.toIntExact(r[1] - r[0]);
        ByteBuffer buf = scratch == null ? null : scratch.buffer(length);
        if (buf == null) {
            buf = ByteBuffer.allocate(length);
        }
        long pos = r[0];
        while (buf.hasRemaining()) {
            int read = file.channel.read(buf, pos);
            if (read < 0) {
                throw new StorageException(key, FailureCategory.UNKNOWN, "file " + file.path + " shrank while reading");
            }
            pos += read;
        }
        return new ObjectData(buf.flip(), r[0], size);
    }

    @Override
    protected CompletableFuture<Void> doPutAsync(String key, ByteBuffer data) {
        Path file = fileOf(key);
        return async(key, () -> {
            Path temp = LocalFiles.writeTemp(root, key, file, data);
            try {
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                Files.deleteIfExists(temp);
                if (Files.isDirectory(file, LinkOption.NOFOLLOW_LINKS)) {
                    throw LocalFiles.nestedConflict(key);
                }
                throw e;
            }
            openFiles.invalidate(key);
            LocalFiles.fsyncDirectory(file.getParent());
            return null;
        });
    }

    @Override
    protected CompletableFuture<Void> doCreateAsync(String key, ByteBuffer data) {
        Path file = fileOf(key);
        return async(key, () -> {
            if (file.toFile().exists()) {
                // Cheap early answer; the link below is what decides. (java.io's check: Files.exists with
                // NOFOLLOW_LINKS answers "no", the usual case here, by throwing and catching an exception.)
                throw exists(key, file);
            }
            Path temp = LocalFiles.writeTemp(root, key, file, data);
            try {
                Files.createLink(file, temp);
            } catch (FileAlreadyExistsException e) {
                throw exists(key, file);
            } finally {
                deleteTemp(temp);
            }
            openFiles.invalidate(key);
            // The object exists from here on. A failure now cannot undo that, so it is TRANSIENT: a retry finds the
            // object, and RetryingObjectStore reads it back and reports success if it holds our bytes.
            try {
                testHook.run(Step.FSYNC_DIRECTORY, file.getParent());
                LocalFiles.fsyncDirectory(file.getParent());
            } catch (IOException e) {
                throw new StorageException(key, FailureCategory.TRANSIENT, "created " + key + " but could not fsync its"
                        + " directory " + file.getParent() + ", so it may not survive a crash: " + e, e);
            }
            return null;
        });
    }

    /**
     * The failure for a create that found {@code file} taken. A file is fsynced into its directory first: when the
     * caller finds it holds its own bytes (a retry after a create that failed late), it must be as durable as a
     * create that succeeded.
     */
    private StorageException exists(String key, Path file) throws IOException {
        if (Files.isDirectory(file, LinkOption.NOFOLLOW_LINKS)) {
            return LocalFiles.nestedConflict(key);
        }
        try {
            testHook.run(Step.FSYNC_DIRECTORY, file.getParent());
            LocalFiles.fsyncDirectory(file.getParent());
        } catch (IOException e) {
            return new StorageException(key, FailureCategory.TRANSIENT, key + " exists but its directory "
                    + file.getParent() + " could not be fsynced: " + e, e);
        }
        return new ObjectExistsException(key);
    }

    /** Deletes a create's temporary file; one left behind is harmless (listings skip it), so failures are logged. */
    private void deleteTemp(Path temp) {
        try {
            testHook.run(Step.DELETE_TEMP, temp);
            Files.deleteIfExists(temp);
        } catch (IOException e) {
            LOG.warn("could not delete temporary file {} (harmless, may be deleted any time): {}", temp, e.toString());
        }
    }

    @Override
    protected CompletableFuture<ObjectInfo> doHeadAsync(String key) {
        Path file = fileOf(key);
        return async(key, () -> {
            try {
                BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                return a.isRegularFile() ? new ObjectInfo(key, a.size(), a.lastModifiedTime().toInstant()) : null;
            } catch (NoSuchFileException | NotDirectoryException e) {
                return null;
            }
        });
    }

    @Override
    protected CompletableFuture<ListPage> doListAsync(String prefix, String startAfter, int maxKeys) {
        return async(prefix, () -> {
            int slash = prefix.lastIndexOf('/');
            String dirKey = slash < 0 ? "" : prefix.substring(0, slash + 1);
            Path dir = dirKey.isEmpty() ? root : fileOf(dirKey.substring(0, dirKey.length() - 1));
            List<ObjectInfo> found = new ArrayList<>();
            new LocalListing(prefix, startAfter, maxKeys + 1, found).walk(dir, dirKey);
            if (found.size() > maxKeys) {
                List<ObjectInfo> page = found.subList(0, maxKeys);
                return new ListPage(page, page.get(maxKeys - 1).key());
            }
            return new ListPage(found, null);
        });
    }

    @Override
    protected CompletableFuture<Void> doDeleteAsync(String key) {
        Path file = fileOf(key);
        return async(key, () -> {
            LocalFiles.deleteFile(file);
            openFiles.invalidate(key);
            return null;
        });
    }

    @Override
    protected CompletableFuture<List<String>> doDeleteBatchAsync(List<String> keys) {
        List<Path> files = keys.stream().map(this::fileOf).toList();
        return async(null, () -> {
            List<String> failed = new ArrayList<>();
            for (int i = 0; i < files.size(); i++) {
                try {
                    LocalFiles.deleteFile(files.get(i));
                    openFiles.invalidate(keys.get(i));
                } catch (IOException e) {
                    failed.add(keys.get(i));
                }
            }
            return failed;
        });
    }

    @Override
    protected void doClose() {
        executor.shutdown();
        openFiles.close();
    }

    @Override
    public String toString() {
        return "LocalDirectoryObjectStore[" + root + "]";
    }

    private Path fileOf(String key) {
        Path p = root;
        for (String segment : key.split("/")) {
            p = p.resolve(LocalKeyCodec.encode(segment));
        }
        return p;
    }

    /** Runs blocking file work on the pool, translating I/O failures into {@link StorageException}s. */
    private <T> CompletableFuture<T> async(String key, IoSupplier<T> work) {
        return CompletableFuture.supplyAsync(translated(key, work), executor);
    }

    /** Runs file work on the caller's thread, as {@link #async} would on the pool. */
    private <T> CompletableFuture<T> inline(String key, IoSupplier<T> work) {
        try {
            return CompletableFuture.completedFuture(translated(key, work).get());
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private <T> Supplier<T> translated(String key, IoSupplier<T> work) {
        return () -> {
            try {
                return work.get();
            } catch (StorageException e) {
                throw e;
            } catch (AccessDeniedException e) {
                throw new StorageException(key, FailureCategory.AUTH, "permission denied: " + e.getMessage(), e);
            } catch (IOException e) {
                throw new StorageException(key, FailureCategory.UNKNOWN, "I/O error on " + key + " in " + root + ": " + e, e);
            } catch (UncheckedIOException e) {
                throw new StorageException(key, FailureCategory.UNKNOWN, "I/O error on " + key + " in " + root + ": " + e, e.getCause());
            }
        };
    }

    @FunctionalInterface
    private interface IoSupplier<T> {
        T get() throws IOException;
    }

    /** Points in a create where a test can inject a failure. */
    enum Step { DELETE_TEMP, FSYNC_DIRECTORY }

    /** Runs at a {@link Step} of a create, on the I/O thread; may throw to fail that step. */
    @FunctionalInterface
    interface TestHook {
        void run(Step step, Path path) throws IOException;
    }

    /** Test hook, package-private: called before each {@link Step} of a create. */
    volatile TestHook testHook = (step, path) -> { };
}
