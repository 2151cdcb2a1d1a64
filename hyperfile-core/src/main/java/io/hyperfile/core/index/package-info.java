/**
 * The block index: a copy-on-write B+tree per volume that maps block numbers to {@link
 * io.hyperfile.core.index.Extent extents} (data in a segment, or zeros); gaps are holes.
 *
 * <ul>
 *   <li>{@link io.hyperfile.core.index.BlockIndex}: immutable snapshot, read by any thread without locks.
 *   <li>{@link io.hyperfile.core.index.MutableBlockIndex}: a batch of puts and removes on a snapshot, persisted by
 *       {@code save} into the flush's segment (only the nodes it changed, children first).
 *   <li>{@link io.hyperfile.core.index.NodeCodec}: the node byte layout (documented there and in
 *       {@code docs/FORMAT.md}).
 *   <li>{@link io.hyperfile.core.index.IndexAccess} + {@link io.hyperfile.core.index.NodeCache}: run synchronous
 *       tree operations against nodes fetched asynchronously, retrying on {@link
 *       io.hyperfile.core.index.NodeNotLoadedException}; a {@link io.hyperfile.core.index.Prefetch} names the
 *       block ranges an operation will touch so that a cold one loads its nodes one level per round.
 *   <li>{@link io.hyperfile.core.index.IndexDiff}: the per-segment liveness change between two saved trees, reading
 *       only the nodes they do not share.
 * </ul>
 *
 * <p>This package does not know the object store or segments: it reads nodes through {@link
 * io.hyperfile.core.index.NodeResolver} / a fetch function and writes them through {@link
 * io.hyperfile.core.index.NodeSink}. It depends only on {@code io.hyperfile.core.format} (and the root package).
 */
package io.hyperfile.core.index;
