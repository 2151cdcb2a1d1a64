/**
 * The advisory lease a server keeps on each volume it serves for writing ({@code P/lease}, docs/SERVING.md): who
 * holds the volume and when the holder last renewed it, so that other processes (volume delete, gc, import) can
 * tell that a server holds it. Fencing, not the lease, is what keeps two writers apart. Depends only on
 * {@code format}, {@code segment} key names and {@code store}.
 */
package io.hyperfile.core.lease;
