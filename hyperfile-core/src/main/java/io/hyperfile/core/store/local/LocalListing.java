package io.hyperfile.core.store.local;

import io.hyperfile.core.store.ObjectInfo;
import io.hyperfile.core.store.ObjectKeys;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * One page of a listing of a local directory store: a depth-first walk in key order that skips subtrees wholly
 * outside the prefix or before {@code startAfter}, and stops once it has {@code limit} keys. Not thread-safe;
 * one instance per listing.
 */
final class LocalListing {
    private record Entry(String sortKey, Path path, boolean directory, BasicFileAttributes attributes) {
    }

    private final String prefix;
    private final String startAfter;
    private final int limit;
    private final List<ObjectInfo> found;

    LocalListing(String prefix, String startAfter, int limit, List<ObjectInfo> found) {
        this.prefix = prefix;
        this.startAfter = startAfter;
        this.limit = limit;
        this.found = found;
    }

    /** Walks {@code dir}, whose keys all start with {@code dirKey} ("" for the root, else ending in '/'). */
    void walk(Path dir, String dirKey) throws IOException {
        List<Entry> entries = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
            for (Path p : stream) {
                String segment = LocalKeyCodec.decode(p.getFileName().toString());
                if (segment == null) {
                    continue;
                }
                BasicFileAttributes a;
                try {
                    a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                } catch (NoSuchFileException e) {
                    continue; // deleted while we listed
                }
                if (a.isDirectory()) {
                    String childKey = dirKey + segment + "/";
                    if (wanted(childKey)) {
                        entries.add(new Entry(childKey, p, true, a));
                    }
                } else if (a.isRegularFile()) {
                    String key = dirKey + segment;
                    if (key.startsWith(prefix) && (startAfter == null || ObjectKeys.compareUtf8(key, startAfter) > 0)) {
                        entries.add(new Entry(key, p, false, a));
                    }
                }
            }
        } catch (NoSuchFileException | NotDirectoryException e) {
            return;
        }
        entries.sort(Comparator.comparing(Entry::sortKey, ObjectKeys.ORDER));
        for (Entry e : entries) {
            if (found.size() >= limit) {
                return;
            }
            if (e.directory) {
                walk(e.path, e.sortKey);
            } else {
                found.add(new ObjectInfo(e.sortKey, e.attributes.size(), e.attributes.lastModifiedTime().toInstant()));
            }
        }
    }

    /** Whether a directory whose keys all start with {@code childKey} can hold a key of this listing. */
    private boolean wanted(String childKey) {
        if (!childKey.startsWith(prefix) && !prefix.startsWith(childKey)) {
            return false;
        }
        // Every key under childKey sorts before startAfter unless startAfter itself lies under childKey.
        return startAfter == null || startAfter.startsWith(childKey) || ObjectKeys.compareUtf8(childKey, startAfter) > 0;
    }
}
