package io.hyperfile.core.store.s3;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.gaul.s3proxy.S3ErrorCode;
import org.gaul.s3proxy.S3ProxyException;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.blobstore.ForwardingBlobStore;
import org.gaul.s3proxy.blobstore.domain.MultipartUpload;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.model.CopyObjectRequest;
import software.amazon.awssdk.services.s3.model.CopyObjectResponse;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectResponse;
import software.amazon.awssdk.services.s3.model.GetObjectAclRequest;
import software.amazon.awssdk.services.s3.model.GetObjectAclResponse;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectVersionsRequest;
import software.amazon.awssdk.services.s3.model.ListObjectVersionsResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsRequest;
import software.amazon.awssdk.services.s3.model.ListObjectsResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.ObjectCannedACL;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Puts back the parts of S3's key semantics that S3Proxy 4.1's file-system stores ({@code transient-nio2},
 * {@code filesystem-nio2}) lose, so that the store's tests check the store and not the emulator:
 * <ul>
 *   <li><b>Flat key space.</b> Keys become file paths there, so {@code a} and {@code a/b} cannot both exist (the
 *       second PUT fails with 500). Here every key is stored with {@code %} and {@code /} escaped ({@code %25},
 *       {@code %2F}) and unescaped in listings. The escaping is character by character and prefix-free, so a key
 *       starts with a prefix exactly when its stored form starts with the prefix's stored form.
 *   <li><b>Listing order.</b> S3 lists in UTF-8 byte order; S3Proxy sorts Java strings (UTF-16 order), which
 *       differs for characters above U+FFFF. Here ListObjectsV2 reads the whole prefix, sorts it by UTF-8 bytes and
 *       pages with StartAfter and its own continuation tokens.
 *   <li><b>Directory buckets (simulated).</b> A bucket whose name starts with {@value #DIRECTORY_BUCKET_PREFIX}
 *       lists like an S3 Express directory bucket: a prefix not ending in '/' is rejected with InvalidArgument,
 *       StartAfter is ignored, and keys come back shuffled (in an order fixed per bucket and prefix, so that
 *       continuation tokens stay valid).
 * </ul>
 * Delimiters, ListObjects v1, versions and multipart uploads are not supported and fail with NotImplemented; the
 * tests do not use them (the client's multipart threshold is above every test object).
 */
final class S3SemanticsBlobStore extends ForwardingBlobStore {
    static final String DIRECTORY_BUCKET_PREFIX = "hf-dirsim-";

    private static final Comparator<String> UTF8 = (a, b) ->
            Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));

    S3SemanticsBlobStore(BlobStore delegate) {
        super(delegate);
    }

    static String escape(String key) {
        return key == null ? null : key.replace("%", "%25").replace("/", "%2F");
    }

    static String unescape(String stored) {
        StringBuilder sb = new StringBuilder(stored.length());
        for (int i = 0; i < stored.length(); i++) {
            char c = stored.charAt(i);
            if (c == '%' && stored.startsWith("%2F", i)) {
                sb.append('/');
                i += 2;
            } else if (c == '%' && stored.startsWith("%25", i)) {
                sb.append('%');
                i += 2;
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    @Override
    public PutObjectResponse putBlob(PutObjectRequest request, InputStream content) {
        return super.putBlob(request.toBuilder().key(escape(request.key())).build(), content);
    }

    @Override
    public HeadObjectResponse blobMetadata(HeadObjectRequest request) {
        return super.blobMetadata(request.toBuilder().key(escape(request.key())).build());
    }

    @Override
    public ResponseInputStream<GetObjectResponse> getBlob(GetObjectRequest request) {
        return super.getBlob(request.toBuilder().key(escape(request.key())).build());
    }

    @Override
    public DeleteObjectResponse removeBlob(DeleteObjectRequest request) {
        return super.removeBlob(request.toBuilder().key(escape(request.key())).build());
    }

    @Override
    public boolean blobExists(String bucket, String key) {
        return super.blobExists(bucket, escape(key));
    }

    @Override
    public CopyObjectResponse copyBlob(CopyObjectRequest request) {
        return super.copyBlob(request.toBuilder().sourceKey(escape(request.sourceKey()))
                .destinationKey(escape(request.destinationKey())).build());
    }

    @Override
    public ObjectCannedACL getBlobAccess(String bucket, String key) {
        return super.getBlobAccess(bucket, escape(key));
    }

    @Override
    public ObjectCannedACL getBlobAccess(String bucket, String key, String versionId) {
        return super.getBlobAccess(bucket, escape(key), versionId);
    }

    @Override
    public GetObjectAclResponse getBlobAcl(GetObjectAclRequest request) {
        return super.getBlobAcl(request.toBuilder().key(escape(request.key())).build());
    }

    @Override
    public void setBlobAccess(String bucket, String key, ObjectCannedACL access) {
        super.setBlobAccess(bucket, escape(key), access);
    }

    @Override
    public void setBlobAccess(String bucket, String key, ObjectCannedACL access, String versionId) {
        super.setBlobAccess(bucket, escape(key), access, versionId);
    }

    @Override
    public MultipartUpload initiateMultipartUpload(CreateMultipartUploadRequest request) {
        throw new S3ProxyException(S3ErrorCode.NOT_IMPLEMENTED, "multipart uploads are not supported by this fixture");
    }

    @Override
    public ListObjectsResponse listV1(ListObjectsRequest request) {
        throw new S3ProxyException(S3ErrorCode.NOT_IMPLEMENTED, "ListObjects v1 is not supported by this fixture");
    }

    @Override
    public ListObjectVersionsResponse listVersions(ListObjectVersionsRequest request) {
        throw new S3ProxyException(S3ErrorCode.NOT_IMPLEMENTED, "versions are not supported by this fixture");
    }

    @Override
    public ListObjectsV2Response list(ListObjectsV2Request request) {
        if (request.delimiter() != null && !request.delimiter().isEmpty()) {
            throw new S3ProxyException(S3ErrorCode.NOT_IMPLEMENTED, "delimiters are not supported by this fixture");
        }
        String bucket = request.bucket();
        String prefix = request.prefix() == null ? "" : request.prefix();
        boolean directoryBucket = bucket.startsWith(DIRECTORY_BUCKET_PREFIX);
        if (directoryBucket && !prefix.isEmpty() && !prefix.endsWith("/")) {
            throw new S3ProxyException(S3ErrorCode.INVALID_ARGUMENT,
                    "directory buckets support only prefixes that end in '/'. prefix=" + prefix);
        }
        List<S3Object> all = new ArrayList<>();
        String token = null;
        do {
            ListObjectsV2Response page = super.list(ListObjectsV2Request.builder().bucket(bucket)
                    .prefix(escape(prefix)).continuationToken(token).maxKeys(1000).build());
            for (S3Object o : page.contents()) {
                all.add(o.toBuilder().key(unescape(o.key())).build());
            }
            token = Boolean.TRUE.equals(page.isTruncated()) ? page.nextContinuationToken() : null;
        } while (token != null);

        int maxKeys = request.maxKeys() == null ? 1000 : request.maxKeys();
        int from;
        if (directoryBucket) {
            Collections.shuffle(all, new Random((bucket + "|" + prefix).hashCode()));
            from = request.continuationToken() == null ? 0 : Integer.parseInt(request.continuationToken());
        } else {
            all.sort(Comparator.comparing(S3Object::key, UTF8));
            String after = request.startAfter();
            if (request.continuationToken() != null) {
                String last = new String(Base64.getUrlDecoder().decode(request.continuationToken()),
                        StandardCharsets.UTF_8);
                after = after == null || UTF8.compare(last, after) > 0 ? last : after;
            }
            from = 0;
            while (after != null && from < all.size() && UTF8.compare(all.get(from).key(), after) <= 0) {
                from++;
            }
        }
        int to = Math.min(all.size(), from + maxKeys);
        List<S3Object> contents = all.subList(from, to);
        String next = null;
        if (to < all.size() && !contents.isEmpty()) {
            next = directoryBucket ? Integer.toString(to) : Base64.getUrlEncoder().encodeToString(
                    contents.get(contents.size() - 1).key().getBytes(StandardCharsets.UTF_8));
        }
        return ListObjectsV2Response.builder()
                .name(bucket)
                .prefix(prefix)
                .startAfter(request.startAfter())
                .continuationToken(request.continuationToken())
                .maxKeys(maxKeys)
                .keyCount(contents.size())
                .contents(new ArrayList<>(contents))
                .isTruncated(next != null)
                .nextContinuationToken(next)
                .build();
    }
}
