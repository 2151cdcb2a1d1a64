/** Exports: the names a server offers, each naming an open volume and whether it is read-only. */
package io.hyperfile.nbd.export;
