/**
 * Block-level value types shared by the volume and its front ends: the allocation state of a byte range
 * ({@link io.hyperfile.core.block.Allocation}, {@link io.hyperfile.core.block.AllocationRun}) and the options of a
 * block request ({@link io.hyperfile.core.block.Durability}, {@link io.hyperfile.core.block.ZeroOption}). Immutable
 * values only; depends on nothing else in core, so a protocol layer may use them without seeing how volumes are
 * stored.
 */
package io.hyperfile.core.block;
