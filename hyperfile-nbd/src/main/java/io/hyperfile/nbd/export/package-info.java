/** Exports: the names a server offers, each naming a block device and whether it is read-only. */
package io.hyperfile.nbd.export;
