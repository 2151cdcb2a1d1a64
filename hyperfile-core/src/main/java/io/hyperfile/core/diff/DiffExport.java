package io.hyperfile.core.diff;

import io.hyperfile.core.index.ChangedRun;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.volume.Volume;
import io.hyperfile.core.volume.VolumeConfig;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongConsumer;

/**
 * Writes the diff between two checkpoints of a volume as a diff file ({@link DiffWriter}): the changed runs from
 * {@link CheckpointDiff}, each a ZERO record where the target reads as zeroes and DATA records (read from a read-only
 * view of the target checkpoint, a few reads ahead) elsewhere. Blocks the calling thread; not for an event loop.
 */
public final class DiffExport {
    private static final int READS_AHEAD = 4;

    private DiffExport() {
    }

    /** What was written. */
    public record Summary(long records, long dataBytes, long zeroBytes, long nodesRead) {
    }

    /**
     * Writes the diff of volume {@code name} (at {@code prefix}) from {@code fromSeq} to {@code toSeq} to {@code out};
     * {@code progress} is told the target bytes covered so far. Does not close {@code out}.
     */
    public static Summary write(ObjectStore store, String prefix, String name, long fromSeq,
            long toSeq, OutputStream out, Clock clock, LongConsumer progress) throws IOException {
        CheckpointDiff.Result diff = CheckpointDiff.between(store, prefix, fromSeq, toSeq).join();
        DiffHeader header = new DiffHeader(diff.blockSizeBytes(), diff.volumeId(), fromSeq, diff.fromSizeBytes(), toSeq,
                diff.toSizeBytes(), clock.millis());
        DiffWriter writer = new DiffWriter(out, header);
        Volume view = Volume.openReadOnlyAt(store, prefix, name, VolumeConfig.DEFAULT, toSeq).join();
        try {
            long bs = diff.blockSizeBytes();
            ArrayDeque<Pending> ahead = new ArrayDeque<>();
            for (ChangedRun run : diff.changes().runs()) {
                long start = run.startBlock() * bs;
                long end = Math.min(run.endBlock() * bs, diff.toSizeBytes());
                if (start >= end) {
                    continue;
                }
                if (run.zero()) {
                    drain(ahead, 0, writer, progress);
                    writer.write(DiffRecord.zero(start, end - start));
                    progress.accept(end);
                    continue;
                }
                for (long at = start; at < end; at += DiffWriter.MAX_DATA_BYTES) {
                    ByteBuffer buf = ByteBuffer.allocate((int) Math.min(DiffWriter.MAX_DATA_BYTES, end - at));
                    ahead.add(new Pending(at, buf, view.read(at, buf)));
                    drain(ahead, READS_AHEAD, writer, progress);
                }
            }
            drain(ahead, 0, writer, progress);
            writer.finish();
        } finally {
            view.close().join();
        }
        return new Summary(writer.records(), writer.dataBytes(), writer.zeroBytes(), diff.changes().nodesRead());
    }

    private static void drain(ArrayDeque<Pending> ahead, int keep, DiffWriter writer, LongConsumer progress) throws IOException {
        while (ahead.size() > keep) {
            Pending p = ahead.poll();
            p.read().join();
            writer.write(DiffRecord.data(p.offset(), p.buf().array()));
            progress.accept(p.offset() + p.buf().capacity());
        }
    }

    private record Pending(long offset, ByteBuffer buf, CompletableFuture<Void> read) {
    }
}
