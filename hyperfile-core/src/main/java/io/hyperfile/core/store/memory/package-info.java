/** An object store in memory, for tests and tools. */
package io.hyperfile.core.store.memory;
