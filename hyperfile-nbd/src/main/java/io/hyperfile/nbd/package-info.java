/** The NBD server: protocol codec, transmission handling and exports (built in a later issue). */
package io.hyperfile.nbd;
