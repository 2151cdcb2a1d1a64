package io.hyperfile.core.block;

/** How a zeroing request may be carried out; the default (no option) lets the device punch holes. */
public enum ZeroOption {
    /**
     * Keep the range allocated: it reads as zeros and is reported as {@link Allocation#ZERO}, never as a
     * {@link Allocation#HOLE} (NBD {@code NO_HOLE}).
     */
    ALLOCATE,
    /**
     * Zero only if that is faster than writing zeros; otherwise fail at once and change nothing (NBD
     * {@code FAST_ZERO}).
     */
    FAST_ONLY
}
