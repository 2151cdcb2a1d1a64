package io.hyperfile.cli;

import io.hyperfile.core.stack.StoreStack;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.store.s3.S3StoreConfig;
import io.hyperfile.core.volume.VolumeCatalog;
import java.net.URI;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * Where volumes live, shared by every command: {@code --store file:/path} (a local directory, the default being
 * {@code ./hyperfile-data}) or {@code --store s3://bucket/prefix} with the usual AWS credential chain. Either is
 * opened through {@link StoreStack}, so both get the same retries and per-attempt timeouts.
 */
final class StoreOptions {
    static final String DEFAULT_STORE = "file:hyperfile-data";

    @Option(names = "--store", paramLabel = "URI", defaultValue = "${env:HYPERFILE_STORE:-" + DEFAULT_STORE + "}",
            description = "Where volumes live: file:PATH (a local directory) or s3://BUCKET[/PREFIX]. Default: ${DEFAULT-VALUE}.")
    String store;

    @Option(names = "--endpoint", paramLabel = "URL", description = "S3 endpoint (MinIO, S3Proxy, ...); default: AWS.")
    String endpoint;

    @Option(names = "--region", description = "S3 region; default: the AWS region chain.")
    String region;

    @Option(names = "--path-style", description = "S3 path-style addressing (for most S3-compatible servers).")
    boolean pathStyle;

    boolean isDefaultEmbedded() {
        return DEFAULT_STORE.equals(store);
    }

    /** Fails with one clear line unless volume {@code name} exists in {@code catalog} (this store). */
    void requireVolume(VolumeCatalog catalog, String name) {
        if (!catalog.exists(VolumeCatalog.checkName(name)).join()) {
            throw new IllegalStateException("no volume named " + name + " in " + store);
        }
    }

    /** Opens the store (retries and timeouts included, no cache); {@link IllegalArgumentException} for a bad URI. */
    ObjectStore open() {
        return stack().open();
    }

    /**
     * The store stack for {@code --store}, to open as it is or with more layers (the cache);
     * {@link IllegalArgumentException} for a URI it cannot understand.
     */
    StoreStack.Builder stack() {
        if (store.startsWith("file:")) {
            String path = store.substring("file:".length());
            if (path.startsWith("//")) {
                path = URI.create(store).getPath();
            }
            if (path.isEmpty()) {
                throw new IllegalArgumentException("invalid store '" + store + "': file: needs a path, e.g. file:/var/lib/hyperfile");
            }
            return StoreStack.localDirectory(Path.of(path));
        }
        if (store.startsWith("s3://")) {
            String rest = store.substring("s3://".length());
            int slash = rest.indexOf('/');
            String bucket = slash < 0 ? rest : rest.substring(0, slash);
            String prefix = slash < 0 ? "" : rest.substring(slash + 1);
            if (bucket.isEmpty()) {
                throw new IllegalArgumentException("invalid store '" + store + "': s3:// needs a bucket, e.g. s3://my-bucket/volumes");
            }
            if (!prefix.isEmpty() && !prefix.endsWith("/")) {
                prefix = prefix + "/";
            }
            S3StoreConfig.Builder b = S3StoreConfig.builder(bucket).keyPrefix(prefix).forcePathStyle(pathStyle);
            if (endpoint != null) {
                b.endpoint(URI.create(endpoint));
            }
            if (region != null) {
                b.region(region);
            }
            return StoreStack.s3(b.build());
        }
        throw new IllegalArgumentException("invalid store '" + store + "': use file:PATH or s3://BUCKET[/PREFIX]");
    }
}
