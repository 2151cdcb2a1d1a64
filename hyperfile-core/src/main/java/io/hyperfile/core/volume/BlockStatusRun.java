package io.hyperfile.core.volume;

import io.hyperfile.core.segment.ExtentKind;

/**
 * A run of bytes with one allocation state, as {@link Volume#blockStatus} reports it: DATA (stored, may be
 * anything), ZERO (reads as zeros, allocated: WRITE_ZEROES or zero blocks), HOLE (never written or trimmed; reads
 * as zeros). ZERO is never reported for data that might not be zero.
 */
public record BlockStatusRun(long offset, long length, ExtentKind kind) {
}
