/** Small collections of primitives for hot paths, where boxed maps would allocate per entry. */
package io.hyperfile.core.collect;
