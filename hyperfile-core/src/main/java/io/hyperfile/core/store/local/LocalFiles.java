package io.hyperfile.core.store.local;

import io.hyperfile.core.store.FailureCategory;
import io.hyperfile.core.store.StorageException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.UUID;

/**
 * The file steps of the local directory store's writes and deletes: a temporary file written and fsynced beside
 * its key's file, directories created with their parents fsynced, directory fsyncs. Stateless.
 */
final class LocalFiles {
    /** Names of the temporary files of writes start with this. */
    static final String TEMP_PREFIX = ".tmp-";

    private LocalFiles() {
    }

    /** Deletes the file of a key, if there is one (a directory or a file as parent means there is none). */
    static void deleteFile(Path file) throws IOException {
        if (!Files.isDirectory(file, LinkOption.NOFOLLOW_LINKS)) {
            try {
                Files.deleteIfExists(file);
            } catch (NotDirectoryException e) {
                // a parent is a file: the key cannot exist
            }
        }
    }

    /**
     * Writes {@code data} to a new temporary file beside {@code file} (creating its directories under {@code root}),
     * fsynced, and returns its path; the caller renames or links it into place.
     */
    static Path writeTemp(Path root, String key, Path file, ByteBuffer data) throws IOException {
        Path dir = file.getParent();
        ensureDirectory(root, key, dir);
        Path temp = dir.resolve(TEMP_PREFIX + UUID.randomUUID());
        try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer src = data.duplicate();
            while (src.hasRemaining()) {
                ch.write(src);
            }
            ch.force(true);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temp);
            throw e;
        }
        return temp;
    }

    /** Creates {@code dir} and any missing parents up to the root, fsyncing the parent of each one created. */
    static void ensureDirectory(Path root, String key, Path dir) throws IOException {
        if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Path parent = dir.getParent();
        if (!dir.equals(root) && parent != null) {
            ensureDirectory(root, key, parent);
        }
        try {
            Files.createDirectory(dir);
            fsyncDirectory(parent);
        } catch (FileAlreadyExistsException e) {
            if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                throw nestedConflict(key);
            }
        }
    }

    static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    static StorageException nestedConflict(String key) {
        return new StorageException(key, FailureCategory.INVALID, "a local directory store cannot hold both a key and"
                + " keys under it as a prefix ('a' and 'a/b'); conflict at " + key);
    }
}
