package io.hyperfile.core.volume;

import io.hyperfile.core.HyperfileException;

/**
 * A zeroing asked to be fast ({@link io.hyperfile.core.block.ZeroOption#FAST_ONLY}) cannot be: the range holds no
 * whole block, so zeroing it would read, modify and write a block, no faster than writing zeros. Nothing was
 * changed; the caller may write zeros instead.
 */
public class FastZeroUnsupportedException extends HyperfileException {
    private static final long serialVersionUID = 1L;

    public FastZeroUnsupportedException(String message) {
        super(message);
    }
}
