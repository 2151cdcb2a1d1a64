/** The local-directory object store: Hyperfile's embedded default. */
package io.hyperfile.core.store.local;
