/**
 * How a volume's segments are encoded on the store: which compression codec packs their data frames
 * ({@link io.hyperfile.core.encoding.SegmentEncoding}, {@link io.hyperfile.core.encoding.FrameCodec}). Chosen when a
 * volume is created and recorded in its descriptor; docs/ENCODING.md describes it for users and docs/FORMAT.md the
 * bytes.
 */
package io.hyperfile.core.encoding;
