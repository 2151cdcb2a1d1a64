package io.hyperfile.core.store;

import java.time.Instant;

/** What a {@link ObjectStore#head head} or a listing says about one object. */
public record ObjectInfo(String key, long size, Instant lastModified) {
}
