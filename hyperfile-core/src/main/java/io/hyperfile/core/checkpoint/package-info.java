/**
 * What pins a volume's state: the immutable {@code VolumeDescriptor}, locating the newest checkpoint
 * ({@code CheckpointLocator}) and named snapshots ({@code Snapshots}, {@code SnapshotRecord}). Depends only on
 * {@code format}, {@code segment} key names and {@code store}.
 */
package io.hyperfile.core.checkpoint;
