package io.hyperfile.core.store.local;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The files of recent reads, kept open so that a read costs one {@code stat} and one {@code pread} instead of
 * {@code open}, {@code fstat}, {@code pread} and {@code close} (in this VM the open and close were half the event
 * loop's time in fragmented 1 MiB reads, docs/PERFORMANCE.md).
 *
 * <p>An open file is only used while it is still the file at its path: a read first {@code stat}s the path and
 * compares device, inode, size and modification time with those of the file when it was opened. So an object
 * replaced (a put renames a new file over the name) or deleted, by this process or another, is never read from a
 * stale descriptor; a deleted object reads as missing and its descriptor is closed then. The store writes no file
 * in place, so a file that keeps its identity keeps its bytes.
 *
 * <p>Segments skip that {@code stat} while their volume is known (in this VM a system call costs several
 * microseconds, and the {@code stat} was a fifth of a 4 KiB read's time). A segment key {@code P/seg/<seq>} is
 * created once and never replaced: another file can only appear under it after the whole volume was deleted and
 * created again, and a volume is opened by reading its descriptor {@code P/volume} first. So every read of a
 * descriptor records which file it is, and a kept segment file of {@code P/} is read without a {@code stat} only
 * while {@code P/volume} is still the file it was when the segment file was checked ({@link #trusts}). A new
 * descriptor file, a missing one, or none read yet: the segment's path is {@code stat}ed as before. A segment
 * deleted by another process (garbage collection) still reads from a kept descriptor, with the bytes it had: what
 * its readers' index expects.
 *
 * <p>Bounds: at most {@code capacity} files are open (a clock picks which to close when a new one needs room), a
 * file unused for two sweeps (one every 30 seconds, run by the store) is closed, and the store closes a file as soon as it
 * deletes or replaces its object. A descriptor does keep the space of a file another process deleted until one of
 * these closes it.
 *
 * <p>Thread-safe. A file may be closed while another thread reads it; that read sees a
 * {@link java.nio.channels.ClosedChannelException} and the caller reads again with a file of its own
 * ({@link #openUncached}).
 */
final class OpenFiles implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OpenFiles.class);
    private static final String DESCRIPTOR = "volume";
    /** {@code seg/} and the 20-digit seq. */
    private static final int SEGMENT_KEY_TAIL = 4 + 20;

    /** What identifies the file at a path: the same identity means the same bytes (no file is written in place). */
    record Identity(Object fileKey, long size, FileTime modified) {
        static Identity of(Path path) throws IOException {
            BasicFileAttributes a = Files.readAttributes(path, BasicFileAttributes.class);
            if (!a.isRegularFile()) {
                throw new java.nio.file.NoSuchFileException(path.toString(), null, "not a regular file");
            }
            return new Identity(a.fileKey(), a.size(), a.lastModifiedTime());
        }
    }

    /**
     * Which file a volume's descriptor was when last read: a segment file checked while this is its prefix's
     * current record is trusted until the record changes. Compared by reference.
     */
    record Descriptor(Identity identity) {
    }

    /** An open file: the channel, its size, and whether the table keeps it (if not, the reader closes it). */
    static final class Handle {
        final Path path;
        final FileChannel channel;
        final Identity identity;
        final boolean shared;
        volatile boolean used = true;
        /** A segment's: the descriptor record current when this file was last checked against its path. */
        volatile Descriptor checkedUnder;

        Handle(Path path, FileChannel channel, Identity identity, boolean shared) {
            this.path = path;
            this.channel = channel;
            this.identity = identity;
            this.shared = shared;
        }

        long size() {
            return identity.size();
        }

        /** Closes the channel if the table does not keep it; call when done reading. */
        void release() {
            if (!shared) {
                closeQuietly(channel);
            }
        }
    }

    private final int capacity;
    private final ConcurrentHashMap<String, Handle> handles = new ConcurrentHashMap<>();
    /** Per volume prefix, which file its descriptor was when last read. */
    private final ConcurrentHashMap<String, Descriptor> descriptors = new ConcurrentHashMap<>();
    private volatile boolean closed;

    OpenFiles(int capacity) {
        if (capacity < 0) {
            throw new IllegalArgumentException("capacity must not be negative. capacity=" + capacity);
        }
        this.capacity = capacity;
    }

    /**
     * An open file holding the current bytes of {@code key}: a kept one if the file at the path is
     * still the one it opened, else a newly opened one at {@code pathOf(key)} (kept if there is room). Throws
     * {@link java.nio.file.NoSuchFileException} if there is no file.
     */
    Handle acquire(String key, Function<String, Path> pathOf) throws IOException {
        String segmentPrefix = segmentPrefix(key);
        Handle h = handles.get(key);
        if (h != null && segmentPrefix != null && trusts(h, segmentPrefix)) {
            h.used = true;
            return h;
        }
        // Read before the check: a descriptor read after it makes a new record, which this file does not carry.
        Descriptor current = segmentPrefix == null ? null : descriptors.get(segmentPrefix);
        String descriptorPrefix = segmentPrefix == null ? descriptorPrefix(key) : null;
        if (h != null) {
            Identity now;
            try {
                now = Identity.of(h.path);
            } catch (IOException e) {
                forget(key, h);
                noteDescriptor(descriptorPrefix, null);
                throw e;
            }
            if (now.equals(h.identity)) {
                h.used = true;
                h.checkedUnder = current;
                noteDescriptor(descriptorPrefix, now);
                return h;
            }
            forget(key, h);
        }
        Handle fresh;
        try {
            fresh = open(key, h != null ? h.path : pathOf.apply(key));
        } catch (IOException e) {
            noteDescriptor(descriptorPrefix, null);
            throw e;
        }
        fresh.checkedUnder = fresh.shared ? current : null;
        noteDescriptor(descriptorPrefix, fresh.shared ? fresh.identity : null);
        return fresh;
    }

    /** Whether segment file {@code h} of volume {@code prefix} may be read without a stat (see the class comment). */
    private boolean trusts(Handle h, String prefix) {
        Descriptor d = h.checkedUnder;
        return d != null && d == descriptors.get(prefix);
    }

    /**
     * Records that the descriptor of volume {@code prefix} is now the file {@code identity} (null: missing, or not
     * known). A different file than before ends the trust of every segment file checked under the old record.
     */
    private void noteDescriptor(String prefix, Identity identity) {
        if (prefix == null) {
            return;
        }
        if (identity == null) {
            descriptors.remove(prefix);
            return;
        }
        Descriptor d = descriptors.get(prefix);
        if (d == null || !d.identity().equals(identity)) {
            descriptors.put(prefix, new Descriptor(identity));
        }
    }

    /** The volume prefix of a segment key {@code <prefix>seg/<20 digits>}, or null if {@code key} is not one. */
    static String segmentPrefix(String key) {
        int head = key.length() - SEGMENT_KEY_TAIL;
        if (head < 0 || !key.startsWith("seg/", head) || (head > 0 && key.charAt(head - 1) != '/')) {
            return null;
        }
        for (int i = head + 4; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c < '0' || c > '9') {
                return null;
            }
        }
        return key.substring(0, head);
    }

    /** The volume prefix of a descriptor key {@code <prefix>volume}, or null if {@code key} is not one. */
    static String descriptorPrefix(String key) {
        int head = key.length() - DESCRIPTOR.length();
        if (head < 0 || !key.startsWith(DESCRIPTOR, head) || (head > 0 && key.charAt(head - 1) != '/')) {
            return null;
        }
        return key.substring(0, head);
    }

    /** A file of the caller's own for {@code path}, closed by {@link Handle#release}. */
    static Handle openUncached(Path path) throws IOException {
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
        try {
            return new Handle(path, ch, new Identity(null, ch.size(), null), false);
        } catch (IOException | RuntimeException e) {
            closeQuietly(ch);
            throw e;
        }
    }

    private Handle open(String key, Path path) throws IOException {
        if (capacity == 0 || closed) {
            return openUncached(path);
        }
        // The identity is read before and after the open: when both agree, the path named that one file
        // throughout, so the channel is that file (the store never links an old file back to a name).
        Identity before = Identity.of(path);
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
        Identity after;
        try {
            after = Identity.of(path);
        } catch (IOException | RuntimeException e) {
            closeQuietly(ch);
            throw e;
        }
        if (!before.equals(after)) {
            return new Handle(path, ch, new Identity(null, ch.size(), null), false);
        }
        Handle fresh = new Handle(path, ch, before, true);
        // Only inserts take the lock (reads of kept files do not): the size check, the eviction and the put are one
        // step, so two readers opening files at once cannot both take the last free place.
        synchronized (this) {
            while (handles.size() >= capacity && !handles.isEmpty()) {
                evictOne();
            }
            Handle previous = handles.put(key, fresh);
            if (previous != null) {
                closeQuietly(previous.channel);
            }
        }
        if (closed) {
            forget(key, fresh);
        }
        return fresh;
    }

    /** Closes the file kept for {@code key}, if any: its object is being replaced or deleted. */
    void invalidate(String key) {
        String volume = descriptorPrefix(key);
        if (volume != null) {
            descriptors.remove(volume); // a descriptor written or deleted here: its segments are checked again
        }
        Handle h = handles.remove(key);
        if (h != null) {
            closeQuietly(h.channel);
        }
    }

    /** Closes files not read since the last sweep; the store calls this every 30 seconds. */
    void sweep() {
        for (Map.Entry<String, Handle> e : handles.entrySet()) {
            Handle h = e.getValue();
            if (h.used) {
                h.used = false;
            } else {
                forget(e.getKey(), h);
            }
        }
    }

    /** How many files are kept open. */
    int size() {
        return handles.size();
    }

    /** Makes room for one more: closes the first file, in the table's order, not used since the hand last passed. */
    private void evictOne() {
        Iterator<Map.Entry<String, Handle>> it = handles.entrySet().iterator();
        Map.Entry<String, Handle> first = null;
        while (it.hasNext()) {
            Map.Entry<String, Handle> e = it.next();
            first = first == null ? e : first;
            if (e.getValue().used) {
                e.getValue().used = false;
            } else {
                forget(e.getKey(), e.getValue());
                return;
            }
        }
        if (first != null) {
            forget(first.getKey(), first.getValue());
        }
    }

    private void forget(String key, Handle h) {
        if (handles.remove(key, h)) {
            closeQuietly(h.channel);
        }
    }

    @Override
    public void close() {
        closed = true;
        handles.forEach(this::forget);
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException e) {
            LOG.debug("closing a read file failed: {}", e.toString());
        }
    }
}
