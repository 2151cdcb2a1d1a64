/**
 * Byte-level building blocks shared by every on-store format: CRC32C checksums ({@link
 * io.hyperfile.core.format.Crc32c}), little-endian fixed-width fields ({@link io.hyperfile.core.format.LittleEndian}),
 * unsigned LEB128 var-ints ({@link io.hyperfile.core.format.VarInts}), cursors that read and write them ({@link
 * io.hyperfile.core.format.ByteReader}, {@link io.hyperfile.core.format.ByteWriter}), the {@link
 * io.hyperfile.core.format.FormatVersion} and the magic numbers ({@link io.hyperfile.core.format.Magic}).
 *
 * <p>Nothing here knows about volumes, segments or the index; this package depends on nothing in core except
 * {@link io.hyperfile.core.HyperfileException}. The layouts built from these helpers are documented next to their
 * codecs and, normatively, in {@code docs/FORMAT.md}.
 */
package io.hyperfile.core.format;
