/**
 * Changed-block diffs between two checkpoints of a volume ({@code CheckpointDiff}) and the incremental backup file
 * that carries one ({@code DiffWriter}, {@code DiffReader}, {@code DiffApplier}); docs/DIFF.md. Depends on
 * {@code index}, {@code segment}, {@code checkpoint}, {@code store} and, to read and apply data, {@code volume}.
 */
package io.hyperfile.core.diff;
