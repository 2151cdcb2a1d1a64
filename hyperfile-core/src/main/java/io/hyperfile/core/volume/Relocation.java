package io.hyperfile.core.volume;

import io.hyperfile.core.index.Location;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * One run of blocks that garbage collection moves out of an old segment (docs/GC.md, "Compaction"): blocks
 * {@code [startBlock, startBlock + blockCount)} were read, verified, from {@code from} onwards and hold
 * {@code blocks} ({@code blockCount} whole blocks). The move applies to a block only if the index still maps it to
 * where it was read from when the move is indexed; a client write, zero or trim of that block since wins.
 */
public record Relocation(long startBlock, int blockCount, Location.Data from, ByteBuffer blocks) {
    public Relocation {
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(blocks, "blocks");
        if (startBlock < 0 || blockCount <= 0) {
            throw new IllegalArgumentException("bad relocation: start=" + startBlock + ", count=" + blockCount);
        }
    }

    public long endBlock() {
        return startBlock + blockCount;
    }
}
