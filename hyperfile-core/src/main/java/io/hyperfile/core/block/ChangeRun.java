package io.hyperfile.core.block;

/**
 * A run of bytes {@code [offset, offset + lengthBytes)} that did ({@code changed}) or did not change since a
 * checkpoint. "Changed" is conservative: bytes reported unchanged read exactly as they did at the checkpoint; bytes
 * reported changed may still hold the same content (docs/DIFF.md, "What changed means"). Immutable.
 */
public record ChangeRun(long offset, long lengthBytes, boolean changed) {
    public ChangeRun {
        if (offset < 0 || lengthBytes <= 0) {
            throw new IllegalArgumentException("bad change run. offset=" + offset + ", lengthBytes=" + lengthBytes);
        }
    }

    public long end() {
        return offset + lengthBytes;
    }
}
