package io.hyperfile.core.index;

/**
 * Where the blocks of an extent live: {@link #ZERO} (they read as zeros and no data is stored) or {@link Data} (in
 * segment {@code segmentSeq}, starting at block {@code blockOffset} of its data section, contiguous for the length
 * of the extent). Immutable.
 */
public sealed interface Location permits Location.Zero, Location.Data {
    /** Blocks that read as zeros (written zeros or WRITE_ZEROES); unlike a hole, they count as allocated. */
    Location ZERO = Zero.INSTANCE;

    static Data data(long segmentSeq, long blockOffset) {
        return new Data(segmentSeq, blockOffset);
    }

    boolean isZero();

    /** The location of the block {@code blocks} blocks further on. */
    Location advance(long blocks);

    /** The zero location. */
    enum Zero implements Location {
        INSTANCE;

        @Override
        public boolean isZero() {
            return true;
        }

        @Override
        public Location advance(long blocks) {
            return this;
        }

        @Override
        public String toString() {
            return "ZERO";
        }
    }

    /** Data in segment {@code segmentSeq} at block {@code blockOffset} of its data section. */
    record Data(long segmentSeq, long blockOffset) implements Location {
        public Data {
            if (segmentSeq < 0 || segmentSeq > NodeLimits.MAX_SEGMENT_SEQ) {
                throw new IllegalArgumentException("segmentSeq out of range. segmentSeq=" + segmentSeq);
            }
            if (blockOffset < 0 || blockOffset >= NodeLimits.MAX_BLOCK_OFFSET) {
                throw new IllegalArgumentException("blockOffset out of range. blockOffset=" + blockOffset);
            }
        }

        @Override
        public boolean isZero() {
            return false;
        }

        @Override
        public Data advance(long blocks) {
            return new Data(segmentSeq, blockOffset + blocks);
        }

        @Override
        public String toString() {
            return "DATA(" + segmentSeq + ":" + blockOffset + ")";
        }
    }
}
