package io.hyperfile.core.store;

import java.util.List;

/**
 * One page of a listing, in ascending key order (by the keys' UTF-8 bytes). {@code nextStartAfter} is the key to
 * pass as {@code startAfter} for the next page, or null when the listing is complete.
 */
public record ListPage(List<ObjectInfo> objects, String nextStartAfter) {

    public ListPage {
        objects = List.copyOf(objects);
    }

    public boolean isTruncated() {
        return nextStartAfter != null;
    }
}
