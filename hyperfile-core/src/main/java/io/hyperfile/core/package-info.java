/**
 * Hyperfile core: only {@link io.hyperfile.core.HyperfileException} and its cross-cutting subclasses live here, so
 * that every package may depend on this one.
 */
package io.hyperfile.core;
