package io.hyperfile.core.gc;

import io.hyperfile.core.CorruptionException;
import io.hyperfile.core.format.ByteReader;
import io.hyperfile.core.format.ByteWriter;
import io.hyperfile.core.format.Crc32c;
import io.hyperfile.core.index.IndexDiff;
import io.hyperfile.core.index.NodeCodec;
import io.hyperfile.core.index.NodePointer;
import io.hyperfile.core.segment.SegmentKeys;
import io.hyperfile.core.segment.SegmentReader;
import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.ObjectInfo;
import io.hyperfile.core.store.ObjectStore;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntFunction;

/**
 * The live table as stored by garbage collection in {@code P/gc/live/<seq>} (docs/FORMAT.md, "Live table objects";
 * docs/GC.md, "Persistence"): the table as of checkpoint {@code seq} with that checkpoint's index root, so that a
 * later writer can bring it to its own newest checkpoint by comparing the two index trees instead of walking one.
 * Little-endian:
 *
 * <pre>
 * offset size  field
 *   0     8    magic "HFLIVETB"
 *   8     2    record version (1)
 *  10     2    flags (0)
 *  12     8    checkpoint seq
 *  20     8    index root: segment seq (0: empty index)
 *  28     8    index root: byte offset
 *  36     4    index root: node length
 *  40     8    when a walk last checked the table (epoch milliseconds)
 *  48     4    entry count n
 *  52     …    n entries, by ascending segment seq, each five varints: seq − previous entry's seq (the first: seq),
 *              live data blocks, live node bytes, changedAt, extent table length + 1 (0: not known)
 * len−4   4    CRC32C of bytes [0, len − 4)
 * </pre>
 *
 * A table object is only a cache of what a walk computes: one that is missing, unreadable or of another version
 * makes the next pass walk. Stateless; thread-safe.
 */
final class LiveTableObject {
    static final int VERSION = 1;
    private static final byte[] MAGIC = "HFLIVETB".getBytes(StandardCharsets.US_ASCII);
    private static final int HEADER = 52;

    private LiveTableObject() {
    }

    /** {@code P/gc/live/}: where the table objects of the volume under {@code prefix} live. */
    static String directory(String prefix) {
        return prefix + "gc/live/";
    }

    static String key(String prefix, long seq) {
        String digits = Long.toString(seq);
        return directory(prefix) + "0".repeat(Math.max(0, 20 - digits.length())) + digits;
    }

    /** A table read back: the table and its checkpoint's index root (null: empty index). */
    record Loaded(LiveTable table, NodePointer root) {
    }

    static byte[] encode(LiveTable table, NodePointer root) {
        Map<Long, LiveTable.Entry> entries = table.entries();
        ByteWriter w = new ByteWriter(HEADER + 16 * entries.size() + 4);
        w.bytes(MAGIC, 0, MAGIC.length).u16(VERSION).u16(0).i64(table.seq());
        w.i64(root == null ? 0 : root.segmentSeq()).i64(root == null ? 0 : root.offset()).i32(root == null ? 0 : root.length());
        w.i64(table.checkedAt().toEpochMilli()).i32(entries.size());
        long previous = 0;
        for (Map.Entry<Long, LiveTable.Entry> e : entries.entrySet()) {
            LiveTable.Entry v = e.getValue();
            w.varLong(e.getKey() - previous).varLong(v.blocks).varLong(v.nodeBytes).varLong(v.changedAt)
                    .varLong(v.extentTableLength + 1);
            previous = e.getKey();
        }
        w.i32(w.crc32c());
        return w.toByteArray();
    }

    /** Decodes a table object; {@link CorruptionException} naming {@code key} for anything malformed. */
    static Loaded decode(String key, byte[] bytes) {
        if (bytes.length < HEADER + 4 || !Arrays.equals(MAGIC, 0, MAGIC.length, bytes, 0, MAGIC.length)) {
            throw new CorruptionException(key, 0, "not a live table object");
        }
        int stored = new ByteReader(bytes, bytes.length - 4, 4).i32();
        int computed = Crc32c.of(bytes, 0, bytes.length - 4);
        if (stored != computed) {
            throw CorruptionException.checksum(key, bytes.length - 4, "live table object", stored, computed);
        }
        ByteReader r = new ByteReader(bytes, MAGIC.length, bytes.length - 4 - MAGIC.length);
        int version = r.u16();
        int flags = r.u16();
        if (version != VERSION || flags != 0) {
            throw new CorruptionException(key, 8, "live table object version " + version + " (flags " + flags
                    + ") is not supported; this build reads version " + VERSION);
        }
        long seq = r.i64();
        long rootSeq = r.i64();
        long rootOffset = r.i64();
        int rootLength = r.i32();
        Instant checkedAt = Instant.ofEpochMilli(r.i64());
        int count = r.i32();
        LiveTable table = new LiveTable(seq, checkedAt);
        long segment = 0;
        for (int i = 0; i < count; i++) {
            segment += r.varLong();
            LiveTable.Entry e = table.entry(segment);
            e.blocks = r.varLong();
            e.nodeBytes = r.varLong();
            e.changedAt = r.varLong();
            e.extentTableLength = r.varLong() - 1;
        }
        if (r.remaining() != 0) {
            throw new CorruptionException(key, bytes.length - 4 - r.remaining(), "live table object has "
                    + r.remaining() + " bytes after its entries");
        }
        return new Loaded(table, rootSeq == 0 ? null : new NodePointer(rootSeq, rootOffset, rootLength));
    }

    /** Stores the table, then deletes the older table objects. */
    static CompletableFuture<Void> store(ObjectStore store, String prefix, LiveTable table, NodePointer root) {
        String key = key(prefix, table.seq());
        return store.put(key, ByteBuffer.wrap(encode(table, root)))
                .thenCompose(v -> store.listAll(directory(prefix), null))
                .thenCompose(all -> {
                    List<String> older = new ArrayList<>();
                    for (ObjectInfo o : all) {
                        if (o.key().compareTo(key) < 0) {
                            older.add(o.key());
                        }
                    }
                    return older.isEmpty() ? CompletableFuture.completedFuture(null) : store.deleteAll(older);
                });
    }

    /**
     * The newest stored table brought to checkpoint {@code checkpoint} (which must exist): the changes between the
     * stored table's index tree and the checkpoint's (reading only the nodes that differ) are added, and the
     * segments stored after the table's checkpoint that it does not know start empty. Null if no table object is at
     * or before the checkpoint. Fails if the table object or a node that differs cannot be read.
     */
    static CompletableFuture<LiveTable> loadAt(ObjectStore store, String prefix, NodeCodec codec, int blockSize,
            long checkpoint, IntFunction<CompletableFuture<Void>> pacer) {
        return newest(store, prefix, checkpoint).thenCompose(loaded -> {
            if (loaded == null) {
                return CompletableFuture.completedFuture(null);
            }
            LiveTable table = loaded.table();
            IndexDiff.NodeSource nodes = p -> store.get(SegmentKeys.segment(prefix, p.segmentSeq()),
                    ByteRange.of(p.offset(), p.length())).thenApply(d -> codec.decode(p, d.data()));
            return new SegmentReader(store, prefix, blockSize).footer(checkpoint).thenCompose(f -> {
                NodePointer to = f.rootSeq() == 0 ? null : new NodePointer(f.rootSeq(), f.rootOffset(), f.rootLength());
                return IndexDiff.liveness(nodes, loaded.root(), to, pacer);
            }).thenCompose(changes -> store.listAll(SegmentKeys.segmentPrefix(prefix), SegmentKeys.segment(prefix, table.seq()))
                    .thenApply(after -> {
                        List<Long> listed = new ArrayList<>();
                        for (ObjectInfo o : after) {
                            listed.add(SegmentKeys.parseSegment(prefix, o.key()));
                        }
                        table.advance(checkpoint, changes.blocks(), changes.nodeBytes(), listed);
                        return table;
                    }));
        });
    }

    /** The newest table object at or before checkpoint {@code atMost}, or null if there is none. */
    static CompletableFuture<Loaded> newest(ObjectStore store, String prefix, long atMost) {
        return store.listAll(directory(prefix), null).thenCompose(all -> {
            String best = null;
            for (ObjectInfo o : all) {
                if (o.key().compareTo(key(prefix, atMost)) <= 0 && (best == null || o.key().compareTo(best) > 0)) {
                    best = o.key();
                }
            }
            if (best == null) {
                return CompletableFuture.completedFuture(null);
            }
            String k = best;
            return store.get(k, ByteRange.all()).thenApply(d -> decode(k, d.toByteArray()));
        });
    }
}
