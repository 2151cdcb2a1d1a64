package io.hyperfile.core.volume;

import io.hyperfile.core.CorruptionException;
import io.hyperfile.core.checkpoint.CheckpointLocator;
import io.hyperfile.core.checkpoint.VolumeDescriptor;
import io.hyperfile.core.gc.SpaceAccounting;
import io.hyperfile.core.gc.SpaceReport;
import io.hyperfile.core.index.BlockIndex;
import io.hyperfile.core.index.Extent;
import io.hyperfile.core.index.Location;
import io.hyperfile.core.index.NodeLimits;
import io.hyperfile.core.index.NodePointer;
import io.hyperfile.core.segment.SegmentFooter;
import io.hyperfile.core.segment.SegmentKeys;
import io.hyperfile.core.segment.SegmentVerifier;
import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.Exceptions;
import io.hyperfile.core.store.ObjectStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.LongConsumer;

/**
 * fsck: checks every segment of a volume byte by byte (header, footer, each block's checksum, node section, extent
 * table), then walks the index of the newest checkpoint (every node's checksum and the tree's invariants) and
 * checks that every data extent points at blocks that exist. Then measures the volume's space
 * ({@link SpaceAccounting}): unreferenced objects are garbage, reported in {@link Report#space()} and not as
 * problems, while every object a snapshot's checkpoint needs and cannot be read is a problem. Reports each problem
 * with the object and offset. The checkpoint checked is the newest complete one (docs/FORMAT.md, "Finding the newest
 * checkpoint"); segments above it are orphans of a writer that stopped with uploads in flight, reported in
 * {@link Report#orphans()} and not as problems: they are never opened, and garbage collection deletes them once a
 * writer has claimed the log above them.
 * Reads only; the volume should not be written meanwhile.
 */
public final class VolumeChecker {
    private VolumeChecker() {
    }

    /**
     * The outcome: problems found (empty = clean), what was checked, and the volume's space accounting (null if it
     * could not be made; its garbage is not a problem). Objects that a snapshot references and that are missing or
     * unreadable are problems too.
     */
    public record Report(List<String> problems, long segmentsChecked, long bytesChecked, long extentsChecked, long newestSeq,
            SpaceReport space, List<Long> orphans) {
        public boolean isClean() {
            return problems.isEmpty();
        }
    }

    /**
     * Checks the volume under {@code prefix}; {@code progress} receives the running count of segments checked.
     * {@code executor} runs index retries.
     */
    public static CompletableFuture<Report> check(ObjectStore store, String prefix, Executor executor, LongConsumer progress) {
        String p = SegmentKeys.normalizePrefix(prefix);
        return VolumeOpener.described(store, p).thenCompose(described -> {
            VolumeDescriptor desc = described.desc();
            return CheckpointLocator.allSegments(store, p).thenCompose(seqs -> {
                    List<String> problems = new ArrayList<>();
                    Map<Long, SegmentFooter> footers = new TreeMap<>();
                    long[] bytes = {0};
                    CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
                    for (long seq : seqs) {
                        String key = SegmentKeys.segment(p, seq);
                        chain = chain.thenCompose(v -> store.get(key, ByteRange.all()).handle((d, e) -> {
                            if (e != null) {
                                problems.add(key + ": cannot read: " + Exceptions.unwrap(e).getMessage());
                                return null;
                            }
                            bytes[0] += d.length();
                            SegmentVerifier.Verified r = SegmentVerifier.verify(key, seq, d.data(), desc.volumeId(), desc.blockSizeBytes());
                            problems.addAll(r.problems());
                            if (r.footer() != null) {
                                footers.put(seq, r.footer());
                            }
                            progress.accept(footers.size());
                            return null;
                        }));
                    }
                    long[] newestOf = {0};
                    List<Long> orphans = new ArrayList<>();
                    // A clone's index reads its parent's nodes: through its lineage (docs/CLONES.md).
                    return chain.thenCompose(v -> newestComplete(store, p, seqs, problems)).thenCompose(newest -> {
                                newestOf[0] = newest;
                                seqs.stream().filter(s -> s > newest).forEach(orphans::add);
                                return checkIndex(described.store(), p, desc, newest, footers, executor, problems);
                            })
                            .thenCompose(extents -> SpaceAccounting.measure(store, p).handle((space, e) -> {
                                if (e != null) {
                                    problems.add("space accounting failed: " + Exceptions.unwrap(e).getMessage());
                                    return new Report(List.copyOf(problems), seqs.size(), bytes[0], extents, newestOf[0], null,
                                            List.copyOf(orphans));
                                }
                                // The newest checkpoint's own problems were found above, by the byte-by-byte checks.
                                space.problems().stream().filter(q -> q.checkpointSeq() == 0
                                        || q.checkpointSeq() > 0 && q.checkpointSeq() != newestOf[0])
                                        .forEach(q -> problems.add(q.message()));
                                return new Report(List.copyOf(problems), seqs.size(), bytes[0], extents, newestOf[0], space,
                                        List.copyOf(orphans));
                            }));
            });
        });
    }

    /** The newest complete checkpoint; a segment above it whose footer cannot be read is a problem already. */
    private static CompletableFuture<Long> newestComplete(ObjectStore store, String p, List<Long> seqs, List<String> problems) {
        if (seqs.isEmpty()) {
            return CompletableFuture.completedFuture(0L);
        }
        TreeSet<Long> listed = new TreeSet<>(seqs);
        return CheckpointLocator.newestCompleteAmong(store, p, listed, listed.last()).handle((n, e) -> {
            if (e != null) {
                problems.add("cannot find the newest complete checkpoint: " + Exceptions.unwrap(e).getMessage());
                return listed.last();
            }
            if (n == 0) {
                problems.add("no segment is a complete checkpoint: each misses a segment its index may point into");
            }
            return n;
        });
    }

    private static CompletableFuture<Long> checkIndex(ObjectStore store, String p, VolumeDescriptor desc, long newest,
            Map<Long, SegmentFooter> footers, Executor executor, List<String> problems) {
        SegmentFooter f = footers.get(newest);
        if (newest == 0 || f == null || f.rootSeq() == 0) {
            return CompletableFuture.completedFuture(0L);
        }
        VolumeIndex vi = new VolumeIndex(store, p, NodeLimits.ofNodeBytes(desc.maxNodeBytes()), 16L << 20, executor);
        return vi.open(new NodePointer(f.rootSeq(), f.rootOffset(), f.rootLength()), f.height())
                .thenCompose(index -> vi.access().run(r -> {
                    index.verify(r);
                    return index;
                }).thenCompose(checked -> walk(vi, checked, 0, f.volumeSizeBytes() / desc.blockSizeBytes(), footers, desc, p, problems, 0L)))
                .exceptionally(e -> {
                    Throwable cause = Exceptions.unwrap(e);
                    problems.add(cause instanceof CorruptionException ? cause.getMessage()
                            : "index of checkpoint " + newest + " is broken: " + cause);
                    return 0L;
                });
    }

    private static CompletableFuture<Long> walk(VolumeIndex vi, BlockIndex index, long fromBlock, long volumeBlocks,
            Map<Long, SegmentFooter> footers,
            VolumeDescriptor desc, String p, List<String> problems, long count) {
        return vi.access().run(r -> index.extents(r, fromBlock, 4096)).thenCompose(page -> {
            long n = count;
            for (Extent e : page) {
                n++;
                if (e.endBlock() > volumeBlocks) {
                    problems.add("index maps blocks " + e.startBlock() + ".." + e.endBlock() + " beyond the volume's "
                            + volumeBlocks + " blocks");
                }
                if (e.location() instanceof Location.Data d && d.segmentSeq() > desc.borrowedUpTo()) {
                    SegmentFooter target = footers.get(d.segmentSeq());
                    if (target == null) {
                        problems.add("extent " + e + " points into " + SegmentKeys.segment(p, d.segmentSeq()) + ", which is missing or unreadable");
                    } else if (d.blockOffset() + e.blockCount() > target.dataBlockCount()) {
                        problems.add("extent " + e + " points past the " + target.dataBlockCount() + " blocks of "
                                + SegmentKeys.segment(p, d.segmentSeq()));
                    }
                }
            }
            if (page.size() < 4096) {
                return CompletableFuture.completedFuture(n);
            }
            return walk(vi, index, page.get(page.size() - 1).endBlock(), volumeBlocks, footers, desc, p, problems, n);
        });
    }
}
