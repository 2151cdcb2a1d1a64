/** A fault-injecting store wrapper for tests of everything that sits on a store. */
package io.hyperfile.core.store.fault;
