package io.hyperfile.core.index;

import io.hyperfile.core.format.ByteWriter;
import io.hyperfile.core.format.Crc32c;
import io.hyperfile.core.format.LittleEndian;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NodeCodecTest {
    private static final HexFormat HEX = HexFormat.of();
    private static final NodeCodec CODEC = new NodeCodec(NodeLimits.ofFanout(4));

    /** The leaf from the NodeCodec Javadoc and docs/FORMAT.md. */
    private static final String GOLDEN_LEAF = "4c000200" + "00080600" + "080400" + "089e7548";
    /** The internal node from the same example. */
    private static final String GOLDEN_INTERNAL = "49010200" + "0005000f020c01" + "64050f0e032801" + "745866c4";

    private static LeafNode goldenLeaf() {
        return new LeafNode(new long[] {0, 16}, new long[] {8, 4}, new long[] {5, LeafNode.ZERO_SEQ}, new long[] {0, 0});
    }

    private static InternalNode goldenInternal() {
        return new InternalNode(1, new long[] {0, 100},
                new NodePointer[] {new NodePointer(5, 0, 15), new NodePointer(5, 15, 14)}, null,
                new long[] {2, 3}, new long[] {12, 40}, new long[] {1, 1});
    }

    @Test
    void leafMatchesGoldenBytes() {
        byte[] bytes = CODEC.encode(goldenLeaf());
        assertEquals(GOLDEN_LEAF, HEX.formatHex(bytes));
        LeafNode decoded = (LeafNode) CODEC.decode(new NodePointer(5, 0, bytes.length), ByteBuffer.wrap(bytes));
        assertEquals(new Extent(0, 8, Location.data(5, 0)), decoded.extent(0));
        assertEquals(new Extent(16, 4, Location.ZERO), decoded.extent(1));
        assertEquals(12, decoded.mappedBlocks());
    }

    @Test
    void internalMatchesGoldenBytes() {
        byte[] bytes = CODEC.encode(goldenInternal());
        assertEquals(GOLDEN_INTERNAL, HEX.formatHex(bytes));
        InternalNode decoded = (InternalNode) CODEC.decode(new NodePointer(5, 29, bytes.length), ByteBuffer.wrap(bytes));
        assertEquals(1, decoded.level());
        assertEquals(100, decoded.key(1));
        assertEquals(new NodePointer(5, 15, 14), decoded.pointer(1));
        assertEquals(5, decoded.extentCount());
        assertEquals(52, decoded.mappedBlocks());
        assertEquals(3, decoded.nodeCount());
        assertTrue(decoded.isSaved());
    }

    @Test
    void roundTripsRandomNodesIncludingExtremeValues() {
        NodeCodec codec = new NodeCodec(NodeLimits.defaults());
        Random random = new Random(7);
        ByteWriter reused = new ByteWriter(codec.limits().maxNodeBytes());
        for (int round = 0; round < 200; round++) {
            int n = 1 + random.nextInt(codec.limits().maxLeafEntries());
            long[] starts = new long[n];
            long[] counts = new long[n];
            long[] seqs = new long[n];
            long[] offsets = new long[n];
            long span = NodeLimits.MAX_BLOCKS / n;
            for (int i = 0; i < n; i++) {
                starts[i] = i * span + (round % 2 == 0 ? 0 : random.nextLong(span / 2));
                counts[i] = round % 3 == 0 ? Math.min(span / 2, NodeLimits.MAX_BLOCK_OFFSET) : 1 + random.nextInt(1000);
                seqs[i] = random.nextInt(4) == 0 ? LeafNode.ZERO_SEQ
                        : round % 5 == 0 ? NodeLimits.MAX_SEGMENT_SEQ : random.nextLong(1000);
                offsets[i] = seqs[i] == LeafNode.ZERO_SEQ ? 0 : round % 3 == 0 ? NodeLimits.MAX_BLOCK_OFFSET - counts[i]
                        : random.nextLong(NodeLimits.MAX_BLOCK_OFFSET - counts[i] + 1);
            }
            LeafNode leaf = new LeafNode(starts, counts, seqs, offsets);
            byte[] bytes = codec.encode(leaf);
            assertTrue(bytes.length <= codec.limits().maxNodeBytes());
            LeafNode back = (LeafNode) codec.decode(new NodePointer(1, 0, bytes.length), ByteBuffer.wrap(bytes));
            for (int i = 0; i < n; i++) {
                assertEquals(leaf.extent(i), back.extent(i));
            }
            assertArrayEquals(bytes, codec.encode(back));
            // One writer for node after node, large and small, as the saver uses it: the same bytes.
            int length = codec.encode(leaf, reused);
            assertArrayEquals(bytes, Arrays.copyOf(reused.array(), length), "round " + round);
        }
    }

    @Test
    void fullWorstCaseNodesFitTheLimit() {
        NodeLimits limits = NodeLimits.defaults();
        assertEquals(163, limits.maxLeafEntries());
        assertEquals(95, limits.maxInternalEntries());
        NodeCodec codec = new NodeCodec(limits);
        int n = limits.maxInternalEntries();
        long[] keys = new long[n];
        NodePointer[] pointers = new NodePointer[n];
        long[] big = new long[n];
        long step = (NodeLimits.MAX_BLOCKS - 1) / n;
        for (int i = 0; i < n; i++) {
            keys[i] = i * step + (i == 0 ? step - 1 : 0);
            pointers[i] = new NodePointer(NodeLimits.MAX_SEGMENT_SEQ, NodeLimits.MAX_NODE_OFFSET, limits.maxNodeBytes());
            big[i] = i == 0 ? 1 : step - 1;
        }
        byte[] bytes = codec.encode(new InternalNode(2, keys, pointers, null, big, big, big));
        assertTrue(bytes.length <= limits.maxNodeBytes(), "internal node of " + bytes.length + " bytes");
    }

    @Test
    void everyFlippedByteIsDetected() {
        for (String golden : new String[] {GOLDEN_LEAF, GOLDEN_INTERNAL}) {
            byte[] good = HEX.parseHex(golden);
            NodePointer pointer = new NodePointer(42, 4096, good.length);
            for (int i = 0; i < good.length; i++) {
                for (int mask : new int[] {0x01, 0x80, 0xFF}) {
                    byte[] bad = good.clone();
                    bad[i] ^= (byte) mask;
                    NodeCorruptionException e = assertThrows(NodeCorruptionException.class,
                            () -> CODEC.decode(pointer, ByteBuffer.wrap(bad)), "byte " + i + " mask " + mask);
                    assertEquals(pointer, e.pointer());
                    assertTrue(e.getMessage().startsWith("corrupt data in segment 42 node section at offset 4096: "),
                            e.getMessage());
                    assertTrue(e.getMessage().contains("checksum mismatch: expected CRC32C 0x"), e.getMessage());
                }
            }
        }
    }

    @Test
    void checksumMessageNamesStoredAndComputedValues() {
        byte[] bad = HEX.parseHex(GOLDEN_LEAF);
        bad[5] = 9;
        int actual = Crc32c.of(bad, 0, bad.length - 4);
        NodeCorruptionException e = assertThrows(NodeCorruptionException.class,
                () -> CODEC.decode(new NodePointer(3, 17, bad.length), ByteBuffer.wrap(bad)));
        assertEquals("corrupt data in segment 3 node section at offset 17: index node of 15 bytes: checksum mismatch: "
                + "expected CRC32C 0x48759e08, actual 0x%08x".formatted(actual), e.getMessage());
        assertEquals("segment 3 node section", e.key());
        assertEquals(17, e.offset());
        assertEquals(3, e.segmentSeq());
    }

    @Test
    void lengthMustMatchThePointer() {
        byte[] bytes = HEX.parseHex(GOLDEN_LEAF);
        NodeCorruptionException e = assertThrows(NodeCorruptionException.class,
                () -> CODEC.decode(new NodePointer(3, 0, 16), ByteBuffer.wrap(bytes)));
        assertTrue(e.getMessage().endsWith("read 15 bytes, the pointer says 16"), e.getMessage());
    }

    @Test
    void structurallyBrokenNodesWithValidChecksumsAreRejected() {
        assertStructure("58000100000100", "unknown node kind 0x58");
        assertStructure("4c010100000100", "leaf with level 1");
        assertStructure("4c000000000100", "entry count 0 outside 1..4");
        assertStructure("4c000500000100", "entry count 5 outside 1..4");
        assertStructure("4c00010000010000", "1 bytes after the last entry");
        assertStructure("4c000200000100", "truncated var-int");
        assertStructure("4c0001000000000000", "block count 0 out of range");
        assertStructure("4c0001008000010000", "var-int not minimally encoded");
        assertStructure("4c0001000001018080808010", "block offset 4294967296 out of range");
        assertStructure("490002000000000f010101" + "000000000f010101", "internal node with level 0");
        assertStructure("490102000000000f010101" + "000000000f010101", "entry 1: key not increasing");
        assertStructure("490102000000000f010501" + "010000000f010101", "previous child's 5 blocks do not fit before key 1");
        assertStructure("490101000000000a010101", "child pointer out of range");
        assertStructure("490101000000000f010102", "subtree totals out of range");
    }

    private static void assertStructure(String bodyHex, String expected) {
        byte[] body = HEX.parseHex(bodyHex);
        byte[] bytes = Arrays.copyOf(body, body.length + 4);
        LittleEndian.putInt(bytes, body.length, Crc32c.of(body));
        NodeCorruptionException e = assertThrows(NodeCorruptionException.class,
                () -> CODEC.decode(new NodePointer(9, 100, bytes.length), ByteBuffer.wrap(bytes)), bodyHex);
        assertTrue(e.getMessage().startsWith("corrupt data in segment 9 node section at offset 100: index node of "),
                e.getMessage());
        assertTrue(e.getMessage().contains(expected), "expected '" + expected + "' in: " + e.getMessage());
    }

    @Test
    void decodesFromDirectAndOffsetBuffersWithoutMovingThem() {
        byte[] bytes = HEX.parseHex(GOLDEN_LEAF);
        ByteBuffer direct = ByteBuffer.allocateDirect(bytes.length + 3);
        direct.position(3);
        direct.put(bytes).position(3);
        assertEquals(2, CODEC.decode(new NodePointer(1, 0, bytes.length), direct).entryCount());
        assertEquals(3, direct.position());
        ByteBuffer slice = ByteBuffer.wrap(new byte[bytes.length + 5], 5, bytes.length).slice();
        slice.put(bytes).flip();
        assertEquals(2, CODEC.decode(new NodePointer(1, 0, bytes.length), slice).entryCount());
    }

    @Test
    void refusesToEncodeNodesWithUnsavedChildren() {
        LeafNode leaf = goldenLeaf();
        InternalNode unsaved = new InternalNode(1, new long[] {0}, new NodePointer[1], new IndexNode[] {leaf},
                new long[] {2}, new long[] {12}, new long[] {1});
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> CODEC.encode(unsaved));
        assertEquals("cannot encode an internal node with unsaved children", e.getMessage());
    }
}
