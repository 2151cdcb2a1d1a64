package io.hyperfile.cli;

import io.hyperfile.core.crypto.KeySource;
import io.hyperfile.core.stack.StoreStack;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.store.s3.S3PutOptions;
import io.hyperfile.core.store.s3.S3StoreConfig;
import io.hyperfile.core.volume.VolumeCatalog;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import picocli.CommandLine.Option;

/**
 * Where volumes live, shared by every command: {@code --store file:/path} (a local directory, the default being
 * {@code ./hyperfile-data}) or {@code --store s3://bucket/prefix} with the usual AWS credential chain, or the
 * profile {@code --profile} names. Either is opened through {@link StoreStack}, so both get the same retries and
 * per-attempt timeouts. The {@code s3.*} keys of {@link S3StoreConfig} that no option sets (static credentials,
 * concurrency, part sizes, checksums, stall detection) come from the configuration file ({@link Configurable}).
 */
final class StoreOptions implements Configurable {
    static final String DEFAULT_STORE = "file:hyperfile-data";
    /** The {@code s3.*} keys that options set instead, with the key to use. */
    static final Map<String, String> S3_KEYS_OF_OPTIONS = Map.of(S3StoreConfig.BUCKET, "store = s3://BUCKET/PREFIX",
            S3StoreConfig.KEY_PREFIX, "store = s3://BUCKET/PREFIX", S3StoreConfig.ENDPOINT, "endpoint",
            S3StoreConfig.REGION, "region", S3StoreConfig.FORCE_PATH_STYLE, "path-style", S3StoreConfig.PROFILE, "profile");

    @Option(names = "--store", paramLabel = "URI", defaultValue = DEFAULT_STORE,
            description = "Where volumes live: file:PATH (a local directory) or s3://BUCKET[/PREFIX]. Default: $HYPERFILE_STORE,"
                    + " else ${DEFAULT-VALUE}.")
    String store;

    @Option(names = "--endpoint", paramLabel = "URL",
            description = "S3 endpoint (MinIO, S3Proxy, ...). Default: $AWS_ENDPOINT_URL_S3, else $AWS_ENDPOINT_URL, else AWS.")
    String endpoint;

    @Option(names = "--profile", paramLabel = "NAME",
            description = "Profile of the AWS config files (~/.aws/config, ~/.aws/credentials) for S3 credentials and region."
                    + " Default: $AWS_PROFILE, else the default credential chain.")
    String profile;

    @Option(names = "--region", description = "S3 region; default: the AWS region chain.")
    String region;

    @Option(names = "--path-style", description = "S3 path-style addressing (for most S3-compatible servers).")
    boolean pathStyle;

    @Option(names = "--key-file", paramLabel = "FILE",
            description = "The key of encrypted volumes: a file of 32 raw bytes (docs/ENCRYPTION.md).")
    Path keyFile;

    @Option(names = "--key-env", paramLabel = "VAR",
            description = "The key of encrypted volumes, from environment variable VAR (64 hex digits or base64).")
    String keyEnv;

    @Option(names = "--kms-key-id", paramLabel = "ARN",
            description = "The key of encrypted volumes: an AWS KMS key that wraps their data keys.")
    String kmsKeyId;

    @Option(names = "--kms-endpoint", paramLabel = "URL",
            description = "AWS KMS endpoint (a KMS-compatible service). Default: $AWS_ENDPOINT_URL_KMS, else AWS.")
    String kmsEndpoint;

    /** The key source made from the key options, once. */
    private KeySource keySource;

    /** The {@code s3.*} settings of the configuration file. */
    private Map<String, String> s3Settings = Map.of();

    @Override
    public List<Setting> settings() {
        List<Setting> settings = new ArrayList<>();
        for (String key : new TreeSet<>(S3StoreConfig.keys())) {
            if (!S3_KEYS_OF_OPTIONS.containsKey(key)) {
                settings.add(new Setting(key, null, value -> checkS3(key, value)));
            }
        }
        return settings;
    }

    @Override
    public void check(ConfigFile file) {
        for (ConfigFile.Entry e : file.entries()) {
            String instead = S3_KEYS_OF_OPTIONS.get(e.key());
            if (instead != null) {
                throw new ConfigException(file.at(e, e.key() + ": set it with " + instead));
            }
        }
        ConfigFile.Entry id = file.get(S3StoreConfig.ACCESS_KEY_ID);
        ConfigFile.Entry secret = file.get(S3StoreConfig.SECRET_ACCESS_KEY);
        ConfigFile.Entry token = file.get(S3StoreConfig.SESSION_TOKEN);
        ConfigFile.Entry alone = id != null ? id : secret != null ? secret : token;
        if (alone != null && (id == null || secret == null)) {
            throw new ConfigException(file.at(alone, alone.key() + ": static credentials need both "
                    + S3StoreConfig.ACCESS_KEY_ID + " and " + S3StoreConfig.SECRET_ACCESS_KEY));
        }
        ConfigFile.Entry kmsKey = file.get(S3StoreConfig.SSE_KMS_KEY_ID);
        if (kmsKey != null && !sseIsKms(file.get(S3StoreConfig.SSE))) {
            throw new ConfigException(file.at(kmsKey, kmsKey.key() + ": needs " + S3StoreConfig.SSE + " = aws:kms"));
        }
    }

    /** Whether {@code s3.sse} says aws:kms; a bad value counts as yes, since its own line reports it. */
    private static boolean sseIsKms(ConfigFile.Entry sse) {
        try {
            return sse != null && S3PutOptions.Sse.parse(sse.value()) == S3PutOptions.Sse.AWS_KMS;
        } catch (IllegalArgumentException e) {
            return true;
        }
    }

    @Override
    public void configure(Map<String, String> values) {
        s3Settings = Map.copyOf(values);
    }

    /** Checks one {@code s3.*} value the way {@link S3StoreConfig#fromMap} reads it. */
    private static void checkS3(String key, String value) {
        Map<String, String> one = new HashMap<>(Map.of(S3StoreConfig.BUCKET, "bucket", key, value));
        one.putIfAbsent(S3StoreConfig.ACCESS_KEY_ID, "id"); // credentials are checked as a pair in check(ConfigFile)
        one.putIfAbsent(S3StoreConfig.SECRET_ACCESS_KEY, "secret");
        one.putIfAbsent(S3StoreConfig.SSE, "aws:kms"); // the KMS key needs it; checked as a pair in check(ConfigFile)
        try {
            S3StoreConfig.fromMap(one);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid number '" + value + "'");
        } catch (IllegalArgumentException e) {
            String m = e.getMessage();
            throw new IllegalArgumentException(m != null && m.startsWith("No enum constant") ? "invalid value '" + value
                    + "'" : "invalid value '" + value + "': " + m);
        }
    }

    boolean isDefaultEmbedded() {
        return DEFAULT_STORE.equals(store);
    }

    /** Fails with one clear line unless volume {@code name} exists in {@code catalog} (this store). */
    void requireVolume(VolumeCatalog catalog, String name) {
        if (!catalog.exists(VolumeCatalog.checkName(name)).join()) {
            throw new IllegalStateException("no volume named " + name + " in " + store);
        }
    }

    /**
     * The key the options give (at most one of {@code --key-file}, {@code --key-env}, {@code --kms-key-id}), or null;
     * {@link IllegalArgumentException} if more than one is given.
     */
    KeySource keySource() {
        if (keySource != null) {
            return keySource;
        }
        keySource = KeySources.of(keyFile, keyEnv, kmsKeyId, this, "give one key: --key-file, --key-env or --kms-key-id");
        return keySource;
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
            return StoreStack.localDirectory(Path.of(path)).encryption(keySource());
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
            return StoreStack.s3(s3Config(bucket, prefix)).encryption(keySource());
        }
        throw new IllegalArgumentException("invalid store '" + store + "': use file:PATH or s3://BUCKET[/PREFIX]");
    }

    /** The S3 settings: the file's {@code s3.*} keys, then what the options say. */
    S3StoreConfig s3Config(String bucket, String prefix) {
        Map<String, String> settings = new HashMap<>(s3Settings);
        settings.put(S3StoreConfig.BUCKET, bucket);
        settings.put(S3StoreConfig.KEY_PREFIX, prefix);
        settings.put(S3StoreConfig.FORCE_PATH_STYLE, Boolean.toString(pathStyle));
        if (endpoint != null) {
            settings.put(S3StoreConfig.ENDPOINT, endpoint);
        }
        if (region != null) {
            settings.put(S3StoreConfig.REGION, region);
        }
        if (profile != null) {
            settings.put(S3StoreConfig.PROFILE, profile);
        }
        return S3StoreConfig.fromMap(settings);
    }
}
