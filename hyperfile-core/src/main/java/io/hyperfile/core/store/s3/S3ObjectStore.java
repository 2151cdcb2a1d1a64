package io.hyperfile.core.store.s3;

import io.hyperfile.core.store.AbstractObjectStore;
import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.FailureCategory;
import io.hyperfile.core.store.InvalidRangeException;
import io.hyperfile.core.store.ListPage;
import io.hyperfile.core.store.ObjectData;
import io.hyperfile.core.store.ObjectExistsException;
import io.hyperfile.core.store.ObjectInfo;
import io.hyperfile.core.store.ObjectKeys;
import io.hyperfile.core.store.ObjectNotFoundException;
import io.hyperfile.core.store.PreconditionFailedException;
import io.hyperfile.core.store.StorageException;
import io.hyperfile.core.store.StoreCapabilities;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;
import software.amazon.awssdk.services.s3.model.Delete;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Error;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * An {@link io.hyperfile.core.store.ObjectStore} on one S3 bucket (optionally under a key prefix), using the AWS
 * SDK v2 CRT client ({@link S3AsyncClient#crtBuilder()}).
 *
 * <p>Mapping: {@code get} is GetObject with a {@code Range} header (offset and object size come from
 * {@code Content-Range}); {@code put} is PutObject (with the configured encryption and storage class, see
 * {@link S3PutOptions}, as is {@code create}); {@code create} is PutObject with {@code If-None-Match: *}, whose
 * 412 becomes {@link ObjectExistsException}; {@code head} is HeadObject (404 gives null); {@code list} is
 * ListObjectsV2 with {@code StartAfter}; {@code delete} is DeleteObject; batches are quiet DeleteObjects of at most
 * 1000 keys. The store does not retry; retry policy lives in {@code RetryingObjectStore}. The CRT client, though,
 * cannot be told not to retry (it reads 0 retries as its default of 3), so it runs with one retry: a request it
 * reports may have been sent twice. For {@code create} that matters: the retry of a conditional PUT whose first try
 * landed meets 412, so this store reports that 412 as {@link ObjectExistsException#mayBeOwnWrite() possibly our
 * own write}, which {@code RetryingObjectStore} settles by reading the object back. Failures are translated by
 * {@link S3Errors}.
 *
 * <p>Zero-byte objects: the CRT client with {@link S3StoreConfig.ChecksumMode#WHEN_REQUIRED} reads with
 * {@code Range: bytes=0-<part size>} even for a whole-object read, and emulators answer 416 without the
 * {@code Content-Range: bytes *}{@code /0} real S3 sends. A 416 on {@link ByteRange#all()} is therefore followed by
 * a HEAD, and a size of 0 gives empty data.
 *
 * <p>Suffix ranges are read as a HEAD (for the size) followed by a GET from {@code size - length}. The CRT client
 * would itself send a HEAD carrying the {@code Range} header and fail with "Response missing required Content-Range
 * header" against servers that ignore Range on HEAD (S3Proxy 4.1); the request count is the same. If the object is
 * replaced between the two requests, the returned bytes are still a consistent range of the new object, with its
 * size in {@link ObjectData#objectSize()}, but not necessarily its last {@code length} bytes.
 *
 * <p>With {@link S3StoreConfig.ChecksumMode#SDK_DEFAULT} the CRT client reads an object as a HEAD followed by
 * ranged GETs carrying {@code If-Match}; a read that overlaps a replacement of the same key can then fail with
 * {@link PreconditionFailedException}. Hyperfile's objects are written once, so this does not arise for them.
 *
 * <p><b>S3 Express One Zone directory buckets</b> ({@link S3StoreConfig#directoryBucket()}) differ, and this
 * class hides the differences that matter:
 * <ul>
 *   <li>ListObjectsV2 ignores {@code StartAfter}, returns keys in no particular order, and accepts only
 *       prefixes that end in {@code /}. Listing therefore reads every key under the enclosing {@code /}-prefix
 *       (all pages), keeps those that start with the asked prefix and sort after {@code startAfter}, orders them
 *       with {@link ObjectKeys#ORDER} and returns the first {@code maxKeys}. Each page costs a full listing of
 *       that directory, so paging through N keys costs O(N²/1000) keys read: keep directories small.
 *   <li>Conditional writes ({@code If-None-Match: *}) are supported, so {@code create} is atomic there too.
 *   <li>Only virtual-hosted-style requests over HTTPS, with session authentication (CreateSession) that the SDK
 *       does by itself; leave {@code forcePathStyle} off.
 *   <li>ETags are not MD5s and MD5 checksums are not accepted; the SDK's default CRC32 (or CRC32C) works.
 *       DeleteObjects keys must contain a non-space character.
 * </ul>
 *
 * <p>Thread-safe. Futures complete on this store's own {@code hf-s3-complete-N} threads, never on CRT event-loop
 * threads; continuations that may block must hop to their own executor. Buffers passed to {@code put}/
 * {@code create} are read without copying until the future completes; buffers returned by {@code get} are new and
 * belong to the caller.
 */
public final class S3ObjectStore extends AbstractObjectStore {
    private static final Logger LOG = LoggerFactory.getLogger(S3ObjectStore.class);
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");
    private static final int MAX_DELETE_BATCH = 1000;

    private final S3StoreConfig config;
    private final String bucket;
    private final String prefix;
    private final StoreCapabilities capabilities;
    private final ExecutorService completionExecutor;
    private final S3AsyncClient client;

    /** Opens a store with a new CRT client and {@code max(2, cores)} completion threads. */
    public S3ObjectStore(S3StoreConfig config) {
        this(config, Math.max(2, Runtime.getRuntime().availableProcessors()));
    }

    /** Opens a store with a new CRT client and {@code completionThreads} completion threads. */
    public S3ObjectStore(S3StoreConfig config, int completionThreads) {
        if (config == null) {
            throw new IllegalArgumentException("config must not be null");
        }
        if (completionThreads < 1) {
            throw new IllegalArgumentException("completionThreads must be positive. completionThreads="
                    + completionThreads);
        }
        this.config = config;
        this.bucket = config.bucket();
        this.prefix = config.keyPrefix();
        this.capabilities = new StoreCapabilities(true, true, MAX_DELETE_BATCH,
                ObjectKeys.MAX_KEY_BYTES - config.keyPrefixBytes());
        this.completionExecutor = newCompletionExecutor(completionThreads);
        try {
            this.client = S3Clients.crt(config, completionExecutor);
        } catch (RuntimeException e) {
            completionExecutor.shutdown();
            throw e;
        }
        LOG.debug("opened {}", this);
    }

    private static ExecutorService newCompletionExecutor(int threads) {
        AtomicInteger n = new AtomicInteger();
        return new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "hf-s3-complete-" + n.getAndIncrement());
            t.setDaemon(true);
            return t;
        });
    }

    public S3StoreConfig config() {
        return config;
    }

    @Override
    public StoreCapabilities capabilities() {
        return capabilities;
    }

    @Override
    protected CompletableFuture<ObjectData> doGetAsync(String key, ByteRange range) {
        checkKeyLength(key);
        if (range instanceof ByteRange.Suffix suffix) {
            // The CRT client resolves a suffix range with a ranged HEAD, which S3Proxy answers without
            // Content-Range. The same two requests, made here, work everywhere.
            return unwrapped(doHeadAsync(key).thenCompose(info -> {
                if (info == null) {
                    throw new ObjectNotFoundException(key, "GetObject " + key + ": no such object");
                }
                if (info.size() == 0) {
                    return CompletableFuture.completedFuture(new ObjectData(ByteBuffer.allocate(0), 0, 0));
                }
                return getRange(key, ByteRange.from(Math.max(0, info.size() - suffix.length())));
            }));
        }
        return getRange(key, range);
    }

    private CompletableFuture<ObjectData> getRange(String key, ByteRange range) {
        return send("GetObject", key,
                () -> client.getObject(r -> r.bucket(bucket).key(prefix + key).range(range.httpHeader()),
                        AsyncResponseTransformer.toBytes()),
                bytes -> toObjectData(key, range, bytes),
                failure -> {
                    if (!(failure instanceof InvalidRangeException) || !(range instanceof ByteRange.All)) {
                        return null;
                    }
                    // A 416 for a whole-object read: an empty object read by a ranged GET.
                    return doHeadAsync(key).thenApply(info -> {
                        if (info == null) {
                            throw new ObjectNotFoundException(key, "GetObject " + key + ": no such object", failure);
                        }
                        if (info.size() != 0) {
                            throw failure;
                        }
                        return new ObjectData(ByteBuffer.allocate(0), 0, 0);
                    });
                });
    }

    @Override
    protected CompletableFuture<Void> doPutAsync(String key, ByteBuffer data) {
        checkKeyLength(key);
        return send("PutObject", key,
                () -> client.putObject(r -> putRequest(r, key, data), AsyncRequestBody.fromRemainingByteBufferUnsafe(data)),
                response -> null, null);
    }

    @Override
    protected CompletableFuture<Void> doCreateAsync(String key, ByteBuffer data) {
        checkKeyLength(key);
        return send("PutObject(If-None-Match)", key,
                () -> client.putObject(r -> putRequest(r, key, data).ifNoneMatch("*"),
                        AsyncRequestBody.fromRemainingByteBufferUnsafe(data)),
                response -> null,
                failure -> failure instanceof PreconditionFailedException
                        ? CompletableFuture.failedFuture(ObjectExistsException.mayBeOwnWrite(key, failure)) : null);
    }

    /** Every object write: bucket, key, length, the upload checksum, and the configured encryption and storage class. */
    private PutObjectRequest.Builder putRequest(PutObjectRequest.Builder r, String key, ByteBuffer data) {
        return putRequest(config, r.bucket(bucket).key(prefix + key).contentLength((long) data.remaining()));
    }

    /**
     * The settings every object write takes from the config. With {@link S3StoreConfig.ChecksumMode#UPLOADS} the
     * upload's checksum trailer is CRC32C rather than the SDK's default CRC32: the CRT client computes CRC32C with
     * the processor's CRC instruction and CRC32 with a table-driven loop, which cost the raw CRT client here about
     * 0.5 to 1 ms of CPU per MiB uploaded (docs/PERFORMANCE.md, "CRC32C upload checksums"). S3 verifies either before
     * it stores the object. The other modes keep the SDK's behaviour.
     */
    static PutObjectRequest.Builder putRequest(S3StoreConfig config, PutObjectRequest.Builder r) {
        if (config.checksumMode() == S3StoreConfig.ChecksumMode.UPLOADS) {
            r.checksumAlgorithm(ChecksumAlgorithm.CRC32_C);
        }
        return config.putOptions().apply(r);
    }

    @Override
    protected CompletableFuture<ObjectInfo> doHeadAsync(String key) {
        checkKeyLength(key);
        return send("HeadObject", key,
                () -> client.headObject(r -> r.bucket(bucket).key(prefix + key)),
                r -> new ObjectInfo(key, r.contentLength(), r.lastModified()),
                failure -> failure instanceof ObjectNotFoundException ? CompletableFuture.completedFuture(null) : null);
    }

    @Override
    protected CompletableFuture<ListPage> doListAsync(String listPrefix, String startAfter, int maxKeys) {
        if (config.directoryBucket()) {
            return unwrapped(listDirectoryBucket(listPrefix, startAfter, maxKeys));
        }
        ListObjectsV2Request request = ListObjectsV2Request.builder()
                .bucket(bucket)
                .prefix(prefix + listPrefix)
                .startAfter(startAfter == null ? null : prefix + startAfter)
                .maxKeys(maxKeys)
                .build();
        return unwrapped(listGeneral(request));
    }

    /** One page; follows continuation tokens only in the corner case of a truncated page without keys. */
    private CompletableFuture<ListPage> listGeneral(ListObjectsV2Request request) {
        return send("ListObjectsV2", null, () -> client.listObjectsV2(request), response -> response, null)
                .thenCompose(response -> {
                    List<ObjectInfo> objects = new ArrayList<>(response.contents().size());
                    for (S3Object o : response.contents()) {
                        objects.add(toInfo(o));
                    }
                    boolean truncated = Boolean.TRUE.equals(response.isTruncated());
                    if (truncated && objects.isEmpty() && response.nextContinuationToken() != null) {
                        return listGeneral(request.toBuilder().continuationToken(response.nextContinuationToken())
                                .build());
                    }
                    String next = truncated && !objects.isEmpty() ? objects.get(objects.size() - 1).key() : null;
                    return CompletableFuture.completedFuture(new ListPage(objects, next));
                });
    }

    /**
     * Directory buckets: list the whole enclosing '/'-directory, filter and order here. Keeps only the first
     * {@code maxKeys + 1} keys in order, so memory stays bounded by the page size.
     */
    private CompletableFuture<ListPage> listDirectoryBucket(String listPrefix, String startAfter, int maxKeys) {
        String fullPrefix = prefix + listPrefix;
        String directory = fullPrefix.substring(0, fullPrefix.lastIndexOf('/') + 1);
        String fullStartAfter = startAfter == null ? null : prefix + startAfter;
        TreeMap<String, S3Object> firstKeys = new TreeMap<>(ObjectKeys.ORDER);
        ListObjectsV2Request request = ListObjectsV2Request.builder()
                .bucket(bucket)
                .prefix(directory)
                .maxKeys(MAX_LIST_KEYS)
                .build();
        return collectDirectory(request, object -> {
            String k = object.key();
            if (!k.startsWith(fullPrefix) || fullStartAfter != null && ObjectKeys.compareUtf8(k, fullStartAfter) <= 0) {
                return;
            }
            firstKeys.put(k, object);
            if (firstKeys.size() > maxKeys + 1) {
                firstKeys.pollLastEntry();
            }
        }).thenApply(v -> {
            List<ObjectInfo> objects = new ArrayList<>(Math.min(maxKeys, firstKeys.size()));
            for (S3Object o : firstKeys.values()) {
                if (objects.size() == maxKeys) {
                    return new ListPage(objects, objects.get(objects.size() - 1).key());
                }
                objects.add(toInfo(o));
            }
            return new ListPage(objects, null);
        });
    }

    private CompletableFuture<Void> collectDirectory(ListObjectsV2Request request,
            Consumer<S3Object> sink) {
        return send("ListObjectsV2", null, () -> client.listObjectsV2(request), response -> response, null)
                .thenCompose(response -> {
                    response.contents().forEach(sink);
                    if (Boolean.TRUE.equals(response.isTruncated()) && response.nextContinuationToken() != null) {
                        return collectDirectory(request.toBuilder()
                                .continuationToken(response.nextContinuationToken()).build(), sink);
                    }
                    return CompletableFuture.completedFuture(null);
                });
    }

    @Override
    protected CompletableFuture<Void> doDeleteAsync(String key) {
        checkKeyLength(key);
        return send("DeleteObject", key,
                () -> client.deleteObject(r -> r.bucket(bucket).key(prefix + key)),
                response -> null, null);
    }

    @Override
    protected CompletableFuture<List<String>> doDeleteBatchAsync(List<String> keys) {
        keys.forEach(this::checkKeyLength);
        List<ObjectIdentifier> ids = new ArrayList<>(keys.size());
        for (String key : keys) {
            ids.add(ObjectIdentifier.builder().key(prefix + key).build());
        }
        Delete delete = Delete.builder().objects(ids).quiet(true).build();
        return send("DeleteObjects", null,
                () -> client.deleteObjects(r -> r.bucket(bucket).delete(delete)),
                this::failedKeys, null);
    }

    private List<String> failedKeys(DeleteObjectsResponse response) {
        List<String> failed = new ArrayList<>();
        for (S3Error error : response.errors()) {
            String k = error.key();
            if (k == null) {
                continue;
            }
            failed.add(k.startsWith(prefix) ? k.substring(prefix.length()) : k);
            LOG.debug("DeleteObjects could not delete {}: {} {}", k, error.code(), error.message());
        }
        return failed;
    }

    @Override
    protected void doClose() {
        try {
            client.close();
        } finally {
            completionExecutor.shutdown();
        }
        LOG.debug("closed {}", this);
    }

    @Override
    public String toString() {
        return "S3ObjectStore[bucket=" + bucket + (prefix.isEmpty() ? "" : ", keyPrefix=" + prefix)
                + (config.endpoint() == null ? "" : ", endpoint=" + config.endpoint())
                + (config.directoryBucket() ? ", directoryBucket" : "") + "]";
    }

    private ObjectInfo toInfo(S3Object o) {
        return new ObjectInfo(o.key().substring(prefix.length()), o.size() == null ? 0 : o.size(), o.lastModified());
    }

    private ObjectData toObjectData(String key, ByteRange range, ResponseBytes<GetObjectResponse> bytes) {
        byte[] body = bytes.asByteArrayUnsafe();
        String contentRange = bytes.response().contentRange();
        if (contentRange != null) {
            Matcher m = CONTENT_RANGE.matcher(contentRange.trim());
            if (!m.matches() || m.group(3).equals("*")) {
                throw new StorageException(key, FailureCategory.UNKNOWN,
                        "GetObject " + key + ": cannot use Content-Range '" + contentRange + "'");
            }
            long start = Long.parseLong(m.group(1));
            long end = Long.parseLong(m.group(2));
            long size = Long.parseLong(m.group(3));
            if (end - start + 1 != body.length) {
                throw new StorageException(key, FailureCategory.TRANSIENT, "GetObject " + key + ": Content-Range "
                        + contentRange + " but " + body.length + " bytes received");
            }
            return new ObjectData(ByteBuffer.wrap(body), start, size);
        }
        // No Content-Range: the response is the whole object, whatever range was asked for.
        if (range instanceof ByteRange.All) {
            return new ObjectData(ByteBuffer.wrap(body), 0, body.length);
        }
        long[] span = resolve(key, range, body.length);
        return new ObjectData(ByteBuffer.wrap(body, (int) span[0], (int) (span[1] - span[0])).slice(), span[0],
                body.length);
    }

    /** The future's outcome, with failures unwrapped from {@link java.util.concurrent.CompletionException}. */
    private static <T> CompletableFuture<T> unwrapped(CompletableFuture<T> future) {
        CompletableFuture<T> result = new CompletableFuture<>();
        relay(future, result);
        return result;
    }

    private static <T> void relay(CompletableFuture<T> from, CompletableFuture<T> to) {
        from.whenComplete((v, e) -> {
            if (e == null) {
                to.complete(v);
            } else {
                to.completeExceptionally(S3Errors.unwrap(e));
            }
        });
    }

    private void checkKeyLength(String key) {
        int bytes = key.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > capabilities.maxKeyBytes()) {
            throw new IllegalArgumentException("key is longer than " + capabilities.maxKeyBytes()
                    + " UTF-8 bytes (1024 minus the key prefix '" + prefix + "'). bytes=" + bytes);
        }
    }

    /**
     * Runs one SDK request and completes the returned future on the completion executor, with the value mapped by
     * {@code onSuccess} or with the failure translated by {@link S3Errors}. {@code recover} may turn a failure into
     * another future (it returns null to keep the failure). Cancelling the returned future cancels the request.
     */
    private <R, T> CompletableFuture<T> send(String operation, String key, Supplier<CompletableFuture<R>> request,
            Function<? super R, ? extends T> onSuccess, Function<StorageException, CompletableFuture<T>> recover) {
        CompletableFuture<R> sdk;
        try {
            sdk = request.get();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(S3Errors.translate(e, operation, key));
        }
        CompletableFuture<T> result = new CompletableFuture<>();
        sdk.whenComplete((value, error) -> {
            if (error == null) {
                try {
                    result.complete(onSuccess.apply(value));
                } catch (RuntimeException e) {
                    result.completeExceptionally(S3Errors.translate(e, operation, key));
                }
                return;
            }
            StorageException failure = S3Errors.translate(error, operation, key);
            CompletableFuture<T> fallback = recover == null ? null : recover.apply(failure);
            if (fallback == null) {
                result.completeExceptionally(failure);
                return;
            }
            relay(fallback, result);
        });
        result.whenComplete((v, e) -> {
            if (result.isCancelled()) {
                sdk.cancel(true);
            }
        });
        return result;
    }
}
