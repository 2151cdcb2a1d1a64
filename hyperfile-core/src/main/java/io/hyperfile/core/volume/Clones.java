package io.hyperfile.core.volume;

import io.hyperfile.core.checkpoint.CloneLink;
import io.hyperfile.core.checkpoint.CloneOrigin;
import io.hyperfile.core.checkpoint.Snapshots;
import io.hyperfile.core.checkpoint.VolumeDescriptor;
import io.hyperfile.core.segment.SegmentKeys;
import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.Exceptions;
import io.hyperfile.core.store.ObjectExistsException;
import io.hyperfile.core.store.ObjectInfo;
import io.hyperfile.core.store.ObjectNotFoundException;
import io.hyperfile.core.store.ObjectStore;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Writable clones (docs/CLONES.md): creating one, and the links that tie a parent to its clones. A clone is created
 * with two objects whatever the volume's size: the link {@code SRC/clone/NEW} (which snapshot it holds), then the
 * clone's descriptor {@code NEW/volume}, each by a conditional create. A link is <em>live</em> while the clone's
 * descriptor exists and says it is an unflattened clone of this very parent (name and id); any other link is stale
 * (a creation that crashed between its two objects, a clone deleted or flattened half-way) and holds nothing.
 * Stateless and thread-safe.
 */
public final class Clones {
    private Clones() {
    }

    /** A link in a parent's prefix and what it is worth. {@code descriptor} is the clone's, null if it is gone. */
    public record Link(String cloneName, CloneLink link, VolumeDescriptor descriptor, boolean live) {
        /** Whether this link keeps snapshot {@code snapshot} (pinning {@code seq}) of the parent from being deleted. */
        public boolean holds(String snapshot, long seq) {
            if (!live) {
                return false;
            }
            // A link that does not match its clone (two creations raced) holds whatever pins the clone's base.
            return link.snapshot().equals(snapshot)
                    || !link.cloneId().equals(descriptor.volumeId()) && descriptor.origin().baseSeq() == seq;
        }
    }

    /**
     * Creates volume {@code clone} from snapshot {@code snapshot} of volume {@code parent}: nothing is copied, the clone
     * reads the parent's segments up to the snapshot's checkpoint and writes its own after it. Fails with
     * {@link IllegalArgumentException} if the parent or its snapshot does not exist, with {@link ObjectExistsException}
     * if {@code clone} exists. A stale link of the same name (an earlier creation that crashed) is replaced.
     */
    public static CompletableFuture<VolumeDescriptor> create(ObjectStore store, String parent, String snapshot, String clone,
            Clock clock) {
        VolumeCatalog.checkName(parent);
        VolumeCatalog.checkName(clone);
        Snapshots.checkName(snapshot);
        if (parent.equals(clone)) {
            throw new IllegalArgumentException("a volume cannot be cloned onto itself: " + clone);
        }
        String pp = parent + "/";
        String descriptorKey = SegmentKeys.descriptor(pp);
        CompletableFuture<VolumeDescriptor> parentDesc = store.get(descriptorKey, ByteRange.all())
                .thenApply(d -> VolumeDescriptor.decode(descriptorKey, d.data()))
                .exceptionally(e -> {
                    throw notFoundAs(e, "no volume " + parent);
                });
        return parentDesc.thenCompose(pd -> Snapshots.resolve(store, pp, snapshot).exceptionally(e -> {
            throw notFoundAs(e, "no snapshot " + parent + "@" + snapshot);
        }).thenCompose(seq -> store.head(SegmentKeys.descriptor(clone + "/")).thenCompose(existing -> {
            if (existing != null) {
                throw new ObjectExistsException(SegmentKeys.descriptor(clone + "/"));
            }
            UUID id = UUID.randomUUID();
            CloneLink link = new CloneLink(snapshot, seq, id);
            VolumeDescriptor desc = pd.asCloneOf(new CloneOrigin(parent, pd.volumeId(), seq, false), id, clock.millis());
            String linkKey = CloneLink.key(pp, clone);
            return store.create(linkKey, link.encode()).handle((v, e) -> {
                if (e == null) {
                    return CompletableFuture.<Void>completedFuture(null);
                }
                if (Exceptions.unwrap(e) instanceof ObjectExistsException) {
                    // The clone's descriptor was absent above: a stale link of an earlier creation.
                    return store.put(linkKey, link.encode());
                }
                return CompletableFuture.<Void>failedFuture(Exceptions.unwrap(e));
            }).thenCompose(v -> v).thenCompose(v -> store.create(SegmentKeys.descriptor(clone + "/"), desc.encode()))
                    .thenApply(v -> desc);
        })));
    }

    /** Every clone link in {@code parent}'s prefix, with its clone's descriptor and whether it is live. */
    public static CompletableFuture<List<Link>> links(ObjectStore store, String parent) {
        String pp = VolumeCatalog.checkName(parent) + "/";
        String parentKey = SegmentKeys.descriptor(pp);
        return store.get(parentKey, ByteRange.all()).handle((d, e) -> e == null ? decodeOrNull(parentKey, d.data()) : null)
                .thenCompose(pd -> store.listAll(CloneLink.directory(pp), null).thenCompose(all -> {
                    List<Link> out = new ArrayList<>();
                    CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
                    for (ObjectInfo o : all) {
                        String clone = o.key().substring(CloneLink.directory(pp).length());
                        chain = chain.thenCompose(v -> store.get(o.key(), ByteRange.all())
                                .thenApply(d -> CloneLink.decode(o.key(), d.data()))
                                .thenCompose(link -> cloneDescriptor(store, clone).thenAccept(cd -> out.add(new Link(clone, link, cd,
                                        cd != null && pd != null && cd.isClone() && cd.origin().parentName().equals(parent)
                                                && cd.origin().parentId().equals(pd.volumeId()))))));
                    }
                    return chain.thenApply(v -> List.copyOf(out));
                }));
    }

    /** The names of the live clones that hold snapshot {@code snapshot} (pinning {@code seq}) of {@code parent}. */
    public static CompletableFuture<List<String>> holders(ObjectStore store, String parent, String snapshot, long seq) {
        return links(store, parent).thenApply(all -> all.stream().filter(l -> l.holds(snapshot, seq)).map(Link::cloneName).toList());
    }

    /** The names of {@code parent}'s live clones. */
    public static CompletableFuture<List<String>> live(ObjectStore store, String parent) {
        return links(store, parent).thenApply(all -> all.stream().filter(Link::live).map(Link::cloneName).toList());
    }

    /**
     * Removes the link of clone {@code desc} (named {@code clone}) from its parent, if the link is this clone's (its
     * id matches): after the clone was deleted or flattened. Nothing if {@code desc} is not a clone.
     */
    public static CompletableFuture<Void> unlink(ObjectStore store, String clone, VolumeDescriptor desc) {
        if (desc.origin() == null) {
            return CompletableFuture.completedFuture(null);
        }
        String key = CloneLink.key(desc.origin().parentName() + "/", clone);
        return store.get(key, ByteRange.all()).handle((d, e) -> {
            if (e != null) {
                if (Exceptions.unwrap(e) instanceof ObjectNotFoundException) {
                    return CompletableFuture.<Void>completedFuture(null);
                }
                return CompletableFuture.<Void>failedFuture(Exceptions.unwrap(e));
            }
            CloneLink link = CloneLink.decode(key, d.data());
            return link.cloneId().equals(desc.volumeId()) ? store.delete(key) : CompletableFuture.<Void>completedFuture(null);
        }).thenCompose(f -> f);
    }

    /** The descriptor, or null if it cannot be decoded (a damaged volume holds no clone and is held by none). */
    static VolumeDescriptor decodeOrNull(String key, java.nio.ByteBuffer data) {
        try {
            return VolumeDescriptor.decode(key, data);
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static CompletableFuture<VolumeDescriptor> cloneDescriptor(ObjectStore store, String clone) {
        String key = SegmentKeys.descriptor(clone + "/");
        return store.get(key, ByteRange.all()).handle((d, e) -> {
            if (e != null) {
                if (Exceptions.unwrap(e) instanceof ObjectNotFoundException) {
                    return null;
                }
                throw e instanceof CompletionException ce ? ce : new CompletionException(e);
            }
            return VolumeDescriptor.decode(key, d.data());
        });
    }

    private static RuntimeException notFoundAs(Throwable e, String message) {
        Throwable cause = Exceptions.unwrap(e);
        if (cause instanceof ObjectNotFoundException) {
            return new IllegalArgumentException(message);
        }
        return cause instanceof RuntimeException re ? re : new CompletionException(cause);
    }
}
