package io.hyperfile.core.store.s3;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.blobstore.ForwardingBlobStore;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.model.DeleteObjectRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectResponse;
import software.amazon.awssdk.services.s3.model.DeleteObjectsRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;

/**
 * Counts the object requests an S3Proxy serves, per operation and bucket, with the payload bytes each moved: for
 * benchmarks ({@link S3ProxyBenchMain}). Operations: {@code PUT}, {@code PUT-segment} (a PUT whose key contains
 * {@code /seg/}, Hyperfile's segments; also counted in {@code PUT}), {@code GET}, {@code HEAD}, {@code LIST},
 * {@code DELETE}. PUT bytes are the bytes the blob store read (payload after aws-chunked decoding); GET bytes are
 * the response's content length. Failed requests count too.
 *
 * <p>Thread-safe; the counters only grow.
 */
final class CountingBlobStore extends ForwardingBlobStore {
    /** One counter pair; requests and bytes. */
    record Count(long requests, long bytes) {
    }

    private final Map<String, LongAdder[]> counters = new ConcurrentHashMap<>();

    CountingBlobStore(BlobStore delegate) {
        super(delegate);
    }

    private LongAdder[] counter(String bucket, String op) {
        return counters.computeIfAbsent(bucket + " " + op, k -> new LongAdder[] {new LongAdder(), new LongAdder()});
    }

    private void count(String bucket, String op, long bytes) {
        LongAdder[] c = counter(bucket, op);
        c[0].increment();
        c[1].add(bytes);
    }

    /** A snapshot: "bucket op" → count. */
    Map<String, Count> snapshot() {
        Map<String, Count> out = new TreeMap<>();
        counters.forEach((k, v) -> out.put(k, new Count(v[0].sum(), v[1].sum())));
        return out;
    }

    @Override
    public PutObjectResponse putBlob(PutObjectRequest request, InputStream content) {
        String bucket = request.bucket();
        boolean segment = request.key().contains("/seg/");
        count(bucket, "PUT", 0);
        if (segment) {
            count(bucket, "PUT-segment", 0);
        }
        InputStream counted = new FilterInputStream(content) {
            @Override
            public int read() throws IOException {
                int b = super.read();
                if (b >= 0) {
                    addPutBytes(bucket, segment, 1);
                }
                return b;
            }

            @Override
            public int read(byte[] buf, int off, int len) throws IOException {
                int n = super.read(buf, off, len);
                if (n > 0) {
                    addPutBytes(bucket, segment, n);
                }
                return n;
            }
        };
        return super.putBlob(request, counted);
    }

    private void addPutBytes(String bucket, boolean segment, long n) {
        counter(bucket, "PUT")[1].add(n);
        if (segment) {
            counter(bucket, "PUT-segment")[1].add(n);
        }
    }

    @Override
    public ResponseInputStream<GetObjectResponse> getBlob(GetObjectRequest request) {
        ResponseInputStream<GetObjectResponse> in;
        try {
            in = super.getBlob(request);
        } catch (RuntimeException e) {
            count(request.bucket(), "GET", 0);
            throw e;
        }
        Long length = in == null ? null : in.response().contentLength();
        count(request.bucket(), "GET", length == null ? 0 : length);
        return in;
    }

    @Override
    public HeadObjectResponse blobMetadata(HeadObjectRequest request) {
        count(request.bucket(), "HEAD", 0);
        return super.blobMetadata(request);
    }

    @Override
    public ListObjectsV2Response list(ListObjectsV2Request request) {
        count(request.bucket(), "LIST", 0);
        return super.list(request);
    }

    @Override
    public DeleteObjectResponse removeBlob(DeleteObjectRequest request) {
        count(request.bucket(), "DELETE", 0);
        return super.removeBlob(request);
    }

    @Override
    public DeleteObjectsResponse removeBlobs(DeleteObjectsRequest request) {
        count(request.bucket(), "DELETE", 0);
        return super.removeBlobs(request);
    }
}
