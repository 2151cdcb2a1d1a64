/**
 * Space reclamation: what of a volume's store is live (reachable from a retained checkpoint) and what is garbage,
 * and, later, compaction and deletion (docs/GC.md). Depends on {@code index}, {@code segment}, {@code checkpoint}
 * and {@code store}; never on {@code volume}.
 */
package io.hyperfile.core.gc;
