package io.hyperfile.core.gc;

import io.hyperfile.core.index.IndexNode;
import io.hyperfile.core.index.InternalNode;
import io.hyperfile.core.index.Location;
import io.hyperfile.core.index.NodeCodec;
import io.hyperfile.core.index.NodePointer;
import io.hyperfile.core.index.Run;
import io.hyperfile.core.segment.ExtentKind;
import io.hyperfile.core.segment.ExtentRecord;
import io.hyperfile.core.segment.SegmentFooter;
import io.hyperfile.core.segment.SegmentKeys;
import io.hyperfile.core.segment.SegmentReader;
import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.volume.Volume;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Where a compaction victim's live data slots and live index nodes are (docs/GC.md, "Compaction"): from the walk
 * the pass planned with, or, when the pass planned from the live table, from the victim itself and the volume's
 * index, at a cost that follows the victim, not the volume.
 */
interface VictimSource {
    /**
     * A victim: its footer, its extent table, the slots to move, and one block number routed to each of its index
     * nodes that may be live (compaction copies the path to each only if it still runs through a victim).
     */
    record Victim(SegmentFooter footer, List<ExtentRecord> records, BitSet slots, List<Long> nodeKeys) {
    }

    /** Whether the pass can move segment {@code seq} at all. */
    boolean canMove(long seq);

    CompletableFuture<Victim> victim(long seq);

    /** What a complete walk found. */
    static VictimSource ofWalk(SpaceAccounting.Liveness walk, SegmentReader reader) {
        return new VictimSource() {
            @Override
            public boolean canMove(long seq) {
                return walk.footers().containsKey(seq);
            }

            @Override
            public CompletableFuture<Victim> victim(long seq) {
                SegmentFooter footer = walk.footers().get(seq);
                return reader.extentTable(seq, footer).thenApply(records -> new Victim(footer, records,
                        walk.liveSlots().getOrDefault(seq, new BitSet()), walk.nodeKeys().getOrDefault(seq, List.of())));
            }
        };
    }

    /**
     * Looks the victim's DATA records up in the volume's index (a slot is live if the index maps its block to it) and,
     * if the table counts live node bytes in it, reads its node section for the first block of each node it saved.
     */
    static VictimSource ofIndex(Volume volume, LiveTable table, ObjectStore store, String prefix, SegmentReader reader,
            NodeCodec codec) {
        return new VictimSource() {
            @Override
            public boolean canMove(long seq) {
                return true;
            }

            @Override
            public CompletableFuture<Victim> victim(long seq) {
                return reader.footer(seq).thenCompose(footer -> reader.extentTable(seq, footer)
                        .thenCompose(records -> liveSlots(seq, records).thenCompose(slots -> nodeKeys(seq, footer)
                                .thenApply(keys -> new Victim(footer, records, slots, keys)))));
            }

            private CompletableFuture<BitSet> liveSlots(long seq, List<ExtentRecord> records) {
                List<ExtentRecord> data = records.stream().filter(r -> r.kind() == ExtentKind.DATA).toList();
                long[] starts = data.stream().mapToLong(ExtentRecord::startBlock).toArray();
                long[] ends = data.stream().mapToLong(r -> r.startBlock() + r.blockCount()).toArray();
                return volume.mapping(starts, ends).thenApply(lists -> {
                    BitSet slots = new BitSet();
                    for (List<Run> runs : lists) {
                        for (Run run : runs) {
                            if (run.location() instanceof Location.Data d && d.segmentSeq() == seq) {
                                slots.set((int) d.blockOffset(), (int) (d.blockOffset() + run.blockCount()));
                            }
                        }
                    }
                    return slots;
                });
            }

            private CompletableFuture<List<Long>> nodeKeys(long seq, SegmentFooter footer) {
                LiveTable.Entry e = table.entries().get(seq);
                if (e == null || e.nodeBytes <= 0 || footer.rootSeq() != seq || footer.nodeLength() == 0) {
                    return CompletableFuture.completedFuture(List.of());
                }
                return store.get(SegmentKeys.segment(prefix, seq), ByteRange.of(footer.nodeOffset(), footer.nodeLength()))
                        .thenApply(d -> {
                            List<Long> keys = new ArrayList<>();
                            collect(d.data(), footer.nodeOffset(), seq,
                                    new NodePointer(seq, footer.rootOffset(), footer.rootLength()), keys);
                            return keys;
                        });
            }

            /** The first block of every node of segment {@code seq} under {@code p} (the window saved them all). */
            private void collect(ByteBuffer section, long sectionOffset, long seq, NodePointer p, List<Long> keys) {
                ByteBuffer bytes = section.duplicate();
                int at = bytes.position() + (int) (p.offset() - sectionOffset);
                bytes.limit(at + p.length()).position(at);
                IndexNode node = codec.decode(p, bytes.slice());
                keys.add(node.firstBlock());
                if (node instanceof InternalNode in) {
                    for (int i = 0; i < in.entryCount(); i++) {
                        if (in.pointer(i).segmentSeq() == seq) {
                            collect(section, sectionOffset, seq, in.pointer(i), keys);
                        }
                    }
                }
            }
        };
    }
}
