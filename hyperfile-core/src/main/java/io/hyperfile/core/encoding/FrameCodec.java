package io.hyperfile.core.encoding;

import com.github.luben.zstd.Zstd;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;

/**
 * Compresses and decompresses one data frame (at most 64 KiB of blocks) between byte arrays. Thread-safe; the
 * implementations hold no per-call state.
 */
public interface FrameCodec {

    /** The codec this is. */
    Compression compression();

    /** The most bytes {@link #compress} may need for {@code length} input bytes. */
    int maxCompressedLength(int length);

    /**
     * Compresses {@code src[0, length)} into {@code dst} (at least {@link #maxCompressedLength} long) and returns the
     * compressed length.
     */
    int compress(byte[] src, int length, byte[] dst);

    /**
     * Decompresses {@code src[offset, offset + length)} into {@code dst[0, expected)}, which it must fill exactly.
     * {@link IllegalArgumentException} naming the problem when the input does not decompress to {@code expected}
     * bytes (the caller has checked its checksum, so this means a bug or a hostile writer, never silent garbage).
     */
    void decompress(byte[] src, int offset, int length, byte[] dst, int expected);

    /** The codec for {@code compression} at {@code level} (levels matter only when compressing); null for NONE. */
    static FrameCodec of(Compression compression, int level) {
        return switch (compression) {
            case NONE -> null;
            case LZ4 -> Lz4.INSTANCE;
            case ZSTD -> new Zstandard(level);
        };
    }

    /** The codec that decompresses frames stored with {@code compression} (not NONE). */
    static FrameCodec decoder(Compression compression) {
        return compression == Compression.ZSTD ? new Zstandard(1) : of(compression, 0);
    }

    /**
     * Checks that {@code compression}'s code runs here (Zstandard needs its native library) and returns null, or a
     * one-line reason it does not.
     */
    static String unavailableReason(Compression compression) {
        return compression == Compression.ZSTD ? Zstandard.UNAVAILABLE : null;
    }

    /** LZ4's block format, native where it loads, pure Java otherwise (same bytes either way). */
    final class Lz4 implements FrameCodec {
        static final Lz4 INSTANCE = new Lz4();
        private final LZ4Compressor compressor;
        private final LZ4SafeDecompressor decompressor;

        private Lz4() {
            LZ4Factory factory = LZ4Factory.fastestInstance();
            compressor = factory.fastCompressor();
            decompressor = factory.safeDecompressor();
        }

        @Override
        public Compression compression() {
            return Compression.LZ4;
        }

        @Override
        public int maxCompressedLength(int length) {
            return compressor.maxCompressedLength(length);
        }

        @Override
        public int compress(byte[] src, int length, byte[] dst) {
            return compressor.compress(src, 0, length, dst, 0, dst.length);
        }

        @Override
        public void decompress(byte[] src, int offset, int length, byte[] dst, int expected) {
            int n;
            try {
                n = decompressor.decompress(src, offset, length, dst, 0, expected);
            } catch (LZ4Exception e) {
                throw new IllegalArgumentException("lz4 frame does not decompress: " + e.getMessage(), e);
            }
            if (n != expected) {
                throw new IllegalArgumentException("lz4 frame decompresses to " + n + " bytes, expected " + expected);
            }
        }
    }

    /** Zstandard's frame format at a level, through zstd-jni's native library. */
    final class Zstandard implements FrameCodec {
        /** Why the native library does not load here, or null; checked once (reads ask for every frame). */
        static final String UNAVAILABLE = loadFailure();
        private final int level;

        private static String loadFailure() {
            try {
                Zstd.compressBound(1);
                return null;
            } catch (LinkageError e) {
                return "zstd compression needs the zstd-jni native library, which does not load on this platform ("
                        + System.getProperty("os.name") + " " + System.getProperty("os.arch") + "): " + e.getMessage();
            }
        }

        Zstandard(int level) {
            this.level = level;
        }

        @Override
        public Compression compression() {
            return Compression.ZSTD;
        }

        @Override
        public int maxCompressedLength(int length) {
            return (int) Zstd.compressBound(length);
        }

        @Override
        public int compress(byte[] src, int length, byte[] dst) {
            long n = Zstd.compressByteArray(dst, 0, dst.length, src, 0, length, level);
            if (Zstd.isError(n)) {
                throw new IllegalStateException("zstd compression failed: " + Zstd.getErrorName(n));
            }
            return (int) n;
        }

        @Override
        public void decompress(byte[] src, int offset, int length, byte[] dst, int expected) {
            long n = Zstd.decompressByteArray(dst, 0, expected, src, offset, length);
            if (Zstd.isError(n)) {
                throw new IllegalArgumentException("zstd frame does not decompress: " + Zstd.getErrorName(n));
            }
            if (n != expected) {
                throw new IllegalArgumentException("zstd frame decompresses to " + n + " bytes, expected " + expected);
            }
        }
    }
}
