package io.hyperfile.core.index;

import io.hyperfile.core.format.ByteReader;
import io.hyperfile.core.format.ByteWriter;
import io.hyperfile.core.format.Crc32c;
import io.hyperfile.core.format.FormatException;
import io.hyperfile.core.format.LittleEndian;
import io.hyperfile.core.format.Magic;
import io.hyperfile.core.format.VarInts;

import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * Encodes and decodes index nodes (format version 1). Stateless apart from its {@link NodeLimits}; thread-safe.
 * Decoding never keeps a reference to the input.
 *
 * <h2>Layout</h2>
 * A node is a header, its entries and a CRC32C. Fixed-width fields are little-endian; "varint" is an unsigned
 * LEB128 var-long in its shortest form ({@link VarInts}).
 * <pre>
 * offset  size    field
 * 0       1       kind: 0x4C 'L' leaf, 0x49 'I' internal
 * 1       1       level: 0 for a leaf, children's level + 1 for an internal node (at most 31)
 * 2       2       n: entry count (u16), 1..maxLeafEntries or 1..maxInternalEntries
 * 4       ...     n entries (below)
 * len-4   4       CRC32C (u32) of bytes [0, len-4)
 *
 * leaf entry (extents in block order, non-overlapping)
 *   varint  gap          startBlock - end of the previous extent (0 before the first), so start = prevEnd + gap
 *   varint  blockCount   >= 1; startBlock + blockCount <= 2^48
 *   varint  tag          0 = ZERO extent; otherwise segmentSeq + 1 (segmentSeq <= 2^40 - 1)
 *   varint  blockOffset  only when tag != 0; blockOffset + blockCount <= 2^32
 *
 * internal entry (children in block order)
 *   varint  keyDelta     first entry: the key; later: key - previous key (>= 1). key = first block of the child
 *   varint  segmentSeq   child pointer: segment holding the child
 *   varint  offset       child pointer: byte offset of the child in that segment object (<= 2^40 - 1)
 *   varint  length       child pointer: encoded length of the child (11..maxNodeBytes)
 *   varint  extentCount  extents in the child's subtree (>= 1)
 *   varint  mappedBlocks blocks those extents cover (>= extentCount, key + mappedBlocks <= next key)
 *   varint  nodeCount    nodes in the child's subtree, the child included (1 when the child is a leaf)
 * </pre>
 * Worst-case entries take {@value NodeLimits#MAX_LEAF_ENTRY_BYTES} and {@value NodeLimits#MAX_INTERNAL_ENTRY_BYTES}
 * bytes, so full nodes always fit {@link NodeLimits#maxNodeBytes()}; typical ones are a third of that.
 *
 * <h2>Example</h2>
 * A leaf holding blocks {@code [0,8)} at segment 5 block offset 0 and a zero extent {@code [16,20)}:
 * <pre>
 * 4c 00 02 00   kind 'L', level 0, 2 entries
 * 00 08 06 00   gap 0, count 8, tag 6 (segment 5), block offset 0
 * 08 04 00      gap 8 (16 - 8), count 4, tag 0 (ZERO)
 * 08 9e 75 48   CRC32C 0x48759e08 of the 11 bytes above
 * </pre>
 * Its parent, a level-1 node whose second child starts at block 100 (pointers into segment 5):
 * <pre>
 * 49 01 02 00             kind 'I', level 1, 2 entries
 * 00 05 00 0f 02 0c 01    key 0, child (seg 5, offset 0, 15 bytes), 2 extents, 12 blocks, 1 node
 * 64 05 0f 0e 03 28 01    key +100, child (seg 5, offset 15, 14 bytes), 3 extents, 40 blocks, 1 node
 * 74 58 66 c4             CRC32C 0xc4665874
 * </pre>
 *
 * <h2>Checks on decode</h2>
 * Length equals the pointer's and is at most {@code maxNodeBytes}; CRC32C matches (checked first, over every other
 * byte); kind known; level 0 for leaves, 1..31 for internal nodes; entry count in bounds; every value in range;
 * keys strictly increasing; a child's blocks fit before the next key; no trailing bytes. Any failure is a
 * {@link NodeCorruptionException} naming the pointer. Checks that need the parent (the child's level, first block
 * and totals equal the parent's entry) are made when a child is resolved.
 */
public final class NodeCodec {
    /** Smallest encoded node: header, one zero extent of one byte per field, CRC. */
    public static final int MIN_NODE_BYTES = 11;

    private final NodeLimits limits;

    public NodeCodec(NodeLimits limits) {
        this.limits = Objects.requireNonNull(limits, "limits");
    }

    public NodeLimits limits() {
        return limits;
    }

    /**
     * The encoded node. Internal nodes must reference every child by pointer ({@link InternalNode#isSaved()}).
     *
     * @throws IllegalStateException if the node has unsaved children or too many entries for the limits
     */
    public byte[] encode(IndexNode node) {
        ByteWriter w = new ByteWriter(worstCaseBytes(node));
        encode(node, w);
        return w.toByteArray();
    }

    /**
     * As {@link #encode(IndexNode)}, into {@code w} from its start (it is cleared first; the saver reuses one writer
     * for every node of a segment, so encoding allocates nothing). Returns the encoded length.
     */
    public int encode(IndexNode node, ByteWriter w) {
        int n = node.entryCount();
        if (n < 1 || n > limits.maxEntries(node.level())) {
            throw new IllegalStateException("node has %d entries, limits allow %d".formatted(n, limits.maxEntries(node.level())));
        }
        w.clear();
        if (node instanceof LeafNode leaf) {
            encodeLeaf(leaf, w);
        } else {
            encodeInternal((InternalNode) node, w);
        }
        if (w.position() > limits.maxNodeBytes()) {
            throw new IllegalStateException("encoded node of %d bytes exceeds maxNodeBytes=%d"
                    .formatted(w.position(), limits.maxNodeBytes()));
        }
        return w.position();
    }

    /** The most bytes {@code node} can encode to. */
    private static int worstCaseBytes(IndexNode node) {
        int entry = node instanceof LeafNode ? NodeLimits.MAX_LEAF_ENTRY_BYTES : NodeLimits.MAX_INTERNAL_ENTRY_BYTES;
        return NodeLimits.NODE_OVERHEAD_BYTES + node.entryCount() * entry;
    }

    /** Writes the encoded leaf into {@code w} (empty), in one pass: the caller sized {@code w} for the worst case. */
    private static void encodeLeaf(LeafNode leaf, ByteWriter w) {
        int n = leaf.entryCount();
        w.u8(Magic.INDEX_LEAF_NODE).u8(0).u16(n);
        long prevEnd = 0;
        for (int i = 0; i < n; i++) {
            long seq = leaf.seq(i);
            w.varLong(leaf.startBlock(i) - prevEnd).varLong(leaf.blockCount(i)).varLong(seq + 1);
            if (seq != LeafNode.ZERO_SEQ) {
                w.varLong(leaf.offset(i));
            }
            prevEnd = leaf.endBlock(i);
        }
        w.i32(w.crc32c());
    }

    private static void encodeInternal(InternalNode node, ByteWriter w) {
        if (!node.isSaved()) {
            throw new IllegalStateException("cannot encode an internal node with unsaved children");
        }
        int n = node.entryCount();
        w.u8(Magic.INDEX_INTERNAL_NODE).u8(node.level()).u16(n);
        for (int i = 0; i < n; i++) {
            NodePointer p = node.pointer(i);
            w.varLong(i == 0 ? node.key(0) : node.key(i) - node.key(i - 1)).varLong(p.segmentSeq()).varLong(p.offset())
                    .varLong(p.length()).varLong(node.childExtentCount(i)).varLong(node.childMappedBlocks(i))
                    .varLong(node.childNodeCount(i));
        }
        w.i32(w.crc32c());
    }

    /**
     * Decodes the node read from {@code pointer}: the bytes between position and limit of {@code bytes}, whose
     * position does not move.
     *
     * @throws NodeCorruptionException if the bytes are not a valid node of the expected length
     */
    public IndexNode decode(NodePointer pointer, ByteBuffer bytes) {
        if (bytes.hasArray()) {
            return decode(pointer, bytes.array(), bytes.arrayOffset() + bytes.position(), bytes.remaining());
        }
        byte[] copy = new byte[bytes.remaining()];
        bytes.duplicate().get(copy);
        return decode(pointer, copy, 0, copy.length);
    }

    /** Decodes {@code length} bytes of {@code bytes} from {@code offset}; see {@link #decode(NodePointer, ByteBuffer)}. */
    public IndexNode decode(NodePointer pointer, byte[] bytes, int offset, int length) {
        Objects.requireNonNull(pointer, "pointer");
        if (length != pointer.length()) {
            throw new NodeCorruptionException(pointer, "read %d bytes, the pointer says %d".formatted(length, pointer.length()));
        }
        if (length < MIN_NODE_BYTES || length > limits.maxNodeBytes()) {
            throw new NodeCorruptionException(pointer, "length %d outside %d..%d"
                    .formatted(length, MIN_NODE_BYTES, limits.maxNodeBytes()));
        }
        int stored = LittleEndian.getInt(bytes, offset + length - 4);
        int actual = Crc32c.of(bytes, offset, length - 4);
        if (stored != actual) {
            throw NodeCorruptionException.checksum(pointer, stored, actual);
        }
        try {
            ByteReader r = new ByteReader(bytes, offset, length - 4);
            int kind = r.u8();
            int level = r.u8();
            int n = r.u16();
            IndexNode node;
            if (kind == Magic.INDEX_LEAF_NODE) {
                node = decodeLeaf(r, level, n);
            } else if (kind == Magic.INDEX_INTERNAL_NODE) {
                node = decodeInternal(r, level, n);
            } else {
                throw new FormatException("unknown node kind 0x%02x".formatted(kind));
            }
            if (r.remaining() != 0) {
                throw new FormatException(r.remaining() + " bytes after the last entry");
            }
            return node;
        } catch (FormatException e) {
            throw new NodeCorruptionException(pointer, e.getMessage());
        }
    }

    private LeafNode decodeLeaf(ByteReader r, int level, int n) {
        if (level != 0) {
            throw new FormatException("leaf with level " + level);
        }
        checkCount(n, limits.maxLeafEntries());
        long[] starts = new long[n];
        long[] counts = new long[n];
        long[] seqs = new long[n];
        long[] offsets = new long[n];
        long prevEnd = 0;
        for (int i = 0; i < n; i++) {
            long gap = r.varLong();
            long count = r.varLong();
            long tag = r.varLong();
            if (gap < 0 || gap >= NodeLimits.MAX_BLOCKS - prevEnd) {
                throw new FormatException("entry %d: start block out of range (gap %s)".formatted(i, Long.toUnsignedString(gap)));
            }
            long start = prevEnd + gap;
            if (count <= 0 || count > NodeLimits.MAX_BLOCKS - start) {
                throw new FormatException("entry %d: block count %s out of range".formatted(i, Long.toUnsignedString(count)));
            }
            if (tag < 0 || tag > NodeLimits.MAX_SEGMENT_SEQ + 1) {
                throw new FormatException("entry %d: segment tag %s out of range".formatted(i, Long.toUnsignedString(tag)));
            }
            long blockOffset = 0;
            if (tag != 0) {
                blockOffset = r.varLong();
                if (blockOffset < 0 || blockOffset >= NodeLimits.MAX_BLOCK_OFFSET
                        || count > NodeLimits.MAX_BLOCK_OFFSET - blockOffset) {
                    throw new FormatException("entry %d: block offset %s out of range"
                            .formatted(i, Long.toUnsignedString(blockOffset)));
                }
            }
            starts[i] = start;
            counts[i] = count;
            seqs[i] = tag - 1;
            offsets[i] = blockOffset;
            prevEnd = start + count;
        }
        return new LeafNode(starts, counts, seqs, offsets);
    }

    private InternalNode decodeInternal(ByteReader r, int level, int n) {
        if (level < 1 || level >= NodeLimits.MAX_HEIGHT) {
            throw new FormatException("internal node with level " + level);
        }
        checkCount(n, limits.maxInternalEntries());
        long[] keys = new long[n];
        NodePointer[] pointers = new NodePointer[n];
        long[] extents = new long[n];
        long[] blocks = new long[n];
        long[] nodes = new long[n];
        for (int i = 0; i < n; i++) {
            long delta = r.varLong();
            long seq = r.varLong();
            long offset = r.varLong();
            long length = r.varLong();
            long e = r.varLong();
            long b = r.varLong();
            long c = r.varLong();
            long key = i == 0 ? delta : keys[i - 1] + delta;
            if (delta < 0 || (i > 0 && delta == 0) || key < 0 || key >= NodeLimits.MAX_BLOCKS) {
                throw new FormatException("entry %d: key not increasing or out of range".formatted(i));
            }
            if (i > 0 && keys[i - 1] + blocks[i - 1] > key) {
                throw new FormatException("entry %d: previous child's %d blocks do not fit before key %d"
                        .formatted(i, blocks[i - 1], key));
            }
            if (seq < 0 || seq > NodeLimits.MAX_SEGMENT_SEQ || offset < 0 || offset > NodeLimits.MAX_NODE_OFFSET
                    || length < MIN_NODE_BYTES || length > limits.maxNodeBytes()) {
                throw new FormatException("entry %d: child pointer out of range (segment %s, offset %s, length %s)"
                        .formatted(i, Long.toUnsignedString(seq), Long.toUnsignedString(offset), Long.toUnsignedString(length)));
            }
            if (e <= 0 || b < e || b > NodeLimits.MAX_BLOCKS - key || c <= 0
                    || (level == 1 && (c != 1 || e > limits.maxLeafEntries())) || (level > 1 && c < 2)) {
                throw new FormatException("entry %d: subtree totals out of range (extents %s, blocks %s, nodes %s)"
                        .formatted(i, Long.toUnsignedString(e), Long.toUnsignedString(b), Long.toUnsignedString(c)));
            }
            keys[i] = key;
            pointers[i] = new NodePointer(seq, offset, (int) length);
            extents[i] = e;
            blocks[i] = b;
            nodes[i] = c;
        }
        return new InternalNode(level, keys, pointers, null, extents, blocks, nodes);
    }

    private static void checkCount(int n, int max) {
        if (n < 1 || n > max) {
            throw new FormatException("entry count %d outside 1..%d".formatted(n, max));
        }
    }
}
