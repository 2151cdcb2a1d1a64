package io.hyperfile.core.checkpoint;

import java.util.Objects;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Where a clone comes from (docs/CLONES.md): volume {@code parentName} (id {@code parentId}) as of its checkpoint
 * {@code baseSeq}. Segment seqs up to {@code baseSeq} are read from the parent (or further up its own lineage); the
 * clone's own segments continue after it. A flattened clone no longer reads the parent: it keeps its origin only so
 * that what its older checkpoints point at is known not to be its own. Immutable.
 */
public record CloneOrigin(String parentName, UUID parentId, long baseSeq, boolean flattened) {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    public CloneOrigin {
        Objects.requireNonNull(parentId, "parentId");
        if (parentName == null || !NAME.matcher(parentName).matches()) {
            throw new IllegalArgumentException("invalid parent volume name '" + parentName + "'");
        }
        if (baseSeq < 0) {
            throw new IllegalArgumentException("base seq must be non-negative. baseSeq=" + baseSeq);
        }
    }

    /** The same origin, marked flattened. */
    public CloneOrigin asFlattened() {
        return new CloneOrigin(parentName, parentId, baseSeq, true);
    }
}
