package objstore

import (
	"bytes"
	"container/list"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// Defaults of S3Options.
const (
	DefaultS3PartSize    = 16 << 20
	DefaultS3TailSize    = 64 << 10
	DefaultS3TailEntries = 256
	DefaultS3MaxAttempts = 10
	// DefaultS3ResponseTimeout is long beside S3's usual milliseconds, short beside a
	// connection that silently died.
	DefaultS3ResponseTimeout = time.Minute
	// minS3PartSize is S3's smallest part of a multipart upload (all but the last).
	minS3PartSize = 5 << 20
	// s3PartConcurrency is how many parts of one Put are uploaded at once.
	s3PartConcurrency = 4
)

// S3Options configures an S3 store.
type S3Options struct {
	// Bucket and Prefix locate the store: object "a/b" is key Prefix+"a/b". A non-empty
	// Prefix ends in "/" (NewS3 adds it).
	Bucket string
	Prefix string
	// Endpoint is the service's base URL (for S3-compatible servers); empty: AWS.
	Endpoint string
	// PathStyle addresses buckets as ENDPOINT/BUCKET rather than BUCKET.ENDPOINT.
	PathStyle bool
	// Region overrides the region of the shared configuration; "us-east-1" when neither
	// names one.
	Region string
	// Credentials replaces the default credential chain (environment, shared files, web
	// identity, container and instance roles) when set.
	Credentials aws.CredentialsProvider
	// HTTPClient replaces the SDK's HTTP client when set.
	HTTPClient *http.Client
	// PartSize is the part size of multipart uploads (at least 5 MiB); Put of an object
	// larger than one part uploads it in parts. 0: DefaultS3PartSize.
	PartSize int64
	// TailSize is how many bytes a read at the end of an object fetches and keeps (Parquet
	// readers read the 8-byte trailer, then the footer before it). 0: DefaultS3TailSize;
	// negative: no read-ahead.
	TailSize int
	// MaxAttempts bounds the attempts of one request (throttling and 5xx are retried with
	// jittered exponential backoff). 0: DefaultS3MaxAttempts.
	MaxAttempts int
	// ResponseTimeout bounds the wait for the headers of an answer once a request is sent;
	// an attempt that times out is retried. 0: DefaultS3ResponseTimeout. Ignored with
	// HTTPClient.
	ResponseTimeout time.Duration
}

// S3 is a Store in an S3 bucket (or an S3-compatible server), shared by any number of
// processes.
//
// Put uploads an object in one request, or as a multipart upload above PartSize; S3 makes
// either visible atomically. PutIfAbsent is PutObject with "If-None-Match: *": S3 accepts
// exactly one of several concurrent writes to a free key and answers the others 412. ReadAt
// is a ranged GET; a read that ends at the end of an object whose size is known (see
// ReadAtSized) fetches the last TailSize bytes once and serves later reads inside them from
// memory, so reading a Parquet file's trailer and footer costs one request (and reading an
// object no larger than TailSize costs one in all). The kept tails assume that objects
// read by ranges are not replaced, which holds for the data files (their names are unique);
// Put and Delete in this process drop the tail of their object.
//
// S3 has no directories: unlike Local and Mem, S3 does not reject an object whose name is a
// directory of other objects (checking would cost a request per name segment on every write,
// and the names the project writes never clash).
type S3 struct {
	client   *s3.Client
	bucket   string
	prefix   string
	partSize int64
	retryer  aws.RetryerV2
	tails    *tailCache
}

var (
	_ Store       = (*S3)(nil)
	_ WholeReader = (*S3)(nil)
	_ SizedReader = (*S3)(nil)
)

// ParseS3URL splits "s3://BUCKET/PREFIX" into the bucket and the key prefix ("" or ending
// in "/").
func ParseS3URL(raw string) (bucket, prefix string, err error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", "", fmt.Errorf("objstore: parsing %q: %w", raw, err)
	}
	if u.Scheme != "s3" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return "", "", fmt.Errorf("objstore: %q is not an s3://BUCKET/PREFIX URL", raw)
	}
	prefix = strings.Trim(u.Path, "/")
	if prefix != "" {
		if err := CheckName(prefix); err != nil {
			return "", "", fmt.Errorf("objstore: prefix of %q: %w", raw, err)
		}
		prefix += "/"
	}
	return u.Host, prefix, nil
}

// IsS3URL reports whether s names an S3 location rather than a directory.
func IsS3URL(s string) bool { return strings.HasPrefix(s, "s3://") }

// NewS3 returns a store on the bucket of o, configured from the standard AWS sources
// (environment, shared configuration files) and o. It sends no request.
func NewS3(ctx context.Context, o S3Options) (*S3, error) {
	if o.Bucket == "" {
		return nil, errors.New("objstore: empty bucket")
	}
	if o.Prefix != "" && !strings.HasSuffix(o.Prefix, "/") {
		o.Prefix += "/"
	}
	if o.Prefix != "" {
		if err := CheckName(strings.TrimSuffix(o.Prefix, "/")); err != nil {
			return nil, fmt.Errorf("objstore: prefix: %w", err)
		}
	}
	if o.PartSize == 0 {
		o.PartSize = DefaultS3PartSize
	}
	if o.PartSize < minS3PartSize {
		return nil, fmt.Errorf("objstore: part size %d is below S3's minimum of %d", o.PartSize, minS3PartSize)
	}
	if o.TailSize == 0 {
		o.TailSize = DefaultS3TailSize
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultS3MaxAttempts
	}
	var loads []func(*config.LoadOptions) error
	if o.Region != "" {
		loads = append(loads, config.WithRegion(o.Region))
	}
	if o.Credentials != nil {
		loads = append(loads, config.WithCredentialsProvider(o.Credentials))
	}
	cfg, err := config.LoadDefaultConfig(ctx, loads...)
	if err != nil {
		return nil, fmt.Errorf("objstore: loading AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if o.ResponseTimeout <= 0 {
		o.ResponseTimeout = DefaultS3ResponseTimeout
	}
	// The configured client carries settings from the environment (such as AWS_CA_BUNDLE),
	// so it is adjusted rather than replaced.
	if bc, ok := cfg.HTTPClient.(*awshttp.BuildableClient); ok {
		cfg.HTTPClient = bc.WithTransportOptions(func(tr *http.Transport) {
			tr.ResponseHeaderTimeout = o.ResponseTimeout
		})
	}
	// Throttling (503 SlowDown) and 5xx answers are retried with full-jitter exponential
	// backoff. There is no retry quota: a server that sheds load slows requests down rather
	// than failing them. 409 ConditionalRequestConflict (a conditional write racing another)
	// is retried too, as AWS advises.
	retryer := retry.NewStandard(func(so *retry.StandardOptions) {
		so.MaxAttempts = o.MaxAttempts
		so.MaxBackoff = 20 * time.Second
		so.RateLimiter = ratelimit.None
		so.Retryables = append(so.Retryables, retry.RetryableErrorCode{Codes: map[string]struct{}{
			"ConditionalRequestConflict": {},
		}})
	})
	client := s3.NewFromConfig(cfg, func(so *s3.Options) {
		if o.Endpoint != "" {
			so.BaseEndpoint = aws.String(o.Endpoint)
		}
		so.UsePathStyle = o.PathStyle
		so.Retryer = retryer
		if o.HTTPClient != nil {
			so.HTTPClient = o.HTTPClient
		}
		// Many S3-compatible servers send no checksums; skipping validation is not news.
		so.DisableLogOutputChecksumValidationSkipped = true
	})
	s := &S3{client: client, bucket: o.Bucket, prefix: o.Prefix, partSize: o.PartSize, retryer: retryer}
	if o.TailSize > 0 {
		s.tails = newTailCache(o.TailSize, DefaultS3TailEntries)
	}
	return s, nil
}

// String returns the store's location.
func (s *S3) String() string { return "s3://" + s.bucket + "/" + s.prefix }

// Check verifies that the bucket can be listed: the credentials work and the bucket exists.
func (s *S3) Check(ctx context.Context) error {
	_, err := s.client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{
		Bucket: aws.String(s.bucket), Prefix: aws.String(s.prefix), MaxKeys: aws.Int32(1),
	})
	if err != nil {
		return fmt.Errorf("objstore: %s: %w", s, err)
	}
	return nil
}

func (s *S3) key(name string) (string, error) {
	if err := CheckName(name); err != nil {
		return "", err
	}
	return s.prefix + name, nil
}

// errorCode returns the S3 error code and HTTP status of err, if it is an S3 answer.
func errorCode(err error) (string, int) {
	var code string
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code = ae.ErrorCode()
	}
	var re *awshttp.ResponseError
	status := 0
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	return code, status
}

func isNotFound(err error) bool {
	code, status := errorCode(err)
	return status == http.StatusNotFound || code == "NoSuchKey" || code == "NotFound"
}

// s3Err maps an S3 failure of operation op on name to the store's errors.
func s3Err(op, name string, err error) error {
	if isNotFound(err) {
		return fmt.Errorf("%s: %w", name, ErrNotExist)
	}
	return fmt.Errorf("%s %s: %w", op, name, err)
}

// ReadAt implements Store.
func (s *S3) ReadAt(ctx context.Context, name string, p []byte, off int64) error {
	return s.ReadAtSized(ctx, name, p, off, -1)
}

// ReadAtSized implements SizedReader: size, when not negative, is the object's size, so that
// a read at the end of the object can fetch and keep the object's tail.
func (s *S3) ReadAtSized(ctx context.Context, name string, p []byte, off, size int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	key, err := s.key(name)
	if err != nil {
		return err
	}
	if off < 0 {
		return fmt.Errorf("reading %s: negative offset %d", name, off)
	}
	if len(p) == 0 {
		n, err := s.Size(ctx, name)
		if err != nil {
			return err
		}
		if off > n {
			return fmt.Errorf("reading %s at %d: %w", name, off, io.ErrUnexpectedEOF)
		}
		return nil
	}
	end := off + int64(len(p))
	if s.tails != nil {
		if s.tails.read(name, p, off) {
			return nil
		}
		// A read at the end of the object, or any read of an object that fits in a tail.
		if size >= 0 && end <= size && (end == size || size <= int64(s.tails.size)) && len(p) < s.tails.size {
			start := max(0, size-int64(s.tails.size))
			tail, err := s.get(ctx, name, key, start, size)
			if err != nil {
				return err
			}
			if int64(len(tail)) != size-start {
				return fmt.Errorf("reading %s at %d: %w", name, off, io.ErrUnexpectedEOF)
			}
			s.tails.add(name, start, tail)
			copy(p, tail[off-start:])
			return nil
		}
	}
	b, err := s.get(ctx, name, key, off, end)
	if err != nil {
		return err
	}
	if len(b) != len(p) {
		return fmt.Errorf("reading %s at %d: %w", name, off, io.ErrUnexpectedEOF)
	}
	copy(p, b)
	return nil
}

// get returns the bytes [from, to) of the object, fewer if it ends before to.
func (s *S3) get(ctx context.Context, name, key string, from, to int64) ([]byte, error) {
	b, err := s.fetch(ctx, &s3.GetObjectInput{
		Bucket: aws.String(s.bucket),
		Key:    aws.String(key),
		Range:  aws.String(fmt.Sprintf("bytes=%d-%d", from, to-1)),
	})
	if err != nil {
		if code, status := errorCode(err); status == http.StatusRequestedRangeNotSatisfiable || code == "InvalidRange" {
			return nil, fmt.Errorf("reading %s at %d: %w", name, from, io.ErrUnexpectedEOF)
		}
		return nil, s3Err("reading", name, err)
	}
	return b, nil
}

// errCutShort: a response body ended before its Content-Length.
var errCutShort = errors.New("response body cut short")

// fetch makes a GET and reads its body. The SDK retries failed requests; a body that breaks
// off part way (a connection lost mid-transfer) is fetched again here, with the same backoff.
func (s *S3) fetch(ctx context.Context, in *s3.GetObjectInput) ([]byte, error) {
	for attempt := 1; ; attempt++ {
		out, err := s.client.GetObject(ctx, in)
		if err != nil {
			return nil, err
		}
		b, err := readBody(out)
		if err == nil {
			return b, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if attempt >= s.retryer.MaxAttempts() {
			return nil, err
		}
		delay, derr := s.retryer.RetryDelay(attempt, err)
		if derr != nil {
			return nil, err
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// readBody reads and closes the body of a GET, checking its length.
func readBody(out *s3.GetObjectOutput) ([]byte, error) {
	defer out.Body.Close()
	if out.ContentLength == nil || *out.ContentLength < 0 {
		return io.ReadAll(out.Body)
	}
	b := make([]byte, *out.ContentLength)
	if n, err := io.ReadFull(out.Body, b); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: %d of %d bytes", errCutShort, n, len(b))
		}
		return nil, err
	}
	return b, nil
}

// ReadAll implements WholeReader: one GET, so one version of the object.
func (s *S3) ReadAll(ctx context.Context, name string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	key, err := s.key(name)
	if err != nil {
		return nil, err
	}
	b, err := s.fetch(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	if err != nil {
		return nil, s3Err("reading", name, err)
	}
	return b, nil
}

// Size implements Store.
func (s *S3) Size(ctx context.Context, name string) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	key, err := s.key(name)
	if err != nil {
		return 0, err
	}
	out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	if err != nil {
		return 0, s3Err("sizing", name, err)
	}
	return aws.ToInt64(out.ContentLength), nil
}

// Put implements Store. Objects up to PartSize go up in one request; larger ones as a
// multipart upload of PartSize parts, s3PartConcurrency at a time, aborted on failure.
func (s *S3) Put(ctx context.Context, name string, data io.Reader) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	key, err := s.key(name)
	if err != nil {
		return err
	}
	s.dropTail(name)
	defer s.dropTail(name)
	// Up to one part is buffered (growing with what the reader gives) to tell small objects
	// from large ones.
	var buf bytes.Buffer
	if l, ok := data.(interface{ Len() int }); ok {
		buf.Grow(int(min(int64(l.Len()), s.partSize)))
	}
	n, err := buf.ReadFrom(io.LimitReader(ctxReader{ctx, data}, s.partSize))
	if err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	if n < s.partSize {
		_, err = s.client.PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String(s.bucket), Key: aws.String(key),
			Body: bytes.NewReader(buf.Bytes()), ContentLength: aws.Int64(n),
		})
		if err != nil {
			return fmt.Errorf("writing %s: %w", name, err)
		}
		return nil
	}
	first := buf.Bytes()
	return s.putMultipart(ctx, name, key, first, data)
}

func (s *S3) putMultipart(ctx context.Context, name, key string, first []byte, data io.Reader) (err error) {
	created, err := s.client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	if err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	uploadID := created.UploadId
	defer func() {
		if err != nil {
			// Best effort: a bucket lifecycle rule for incomplete uploads catches what this misses.
			s.client.AbortMultipartUpload(context.WithoutCancel(ctx), &s3.AbortMultipartUploadInput{
				Bucket: aws.String(s.bucket), Key: aws.String(key), UploadId: uploadID,
			})
		}
	}()
	var (
		mu       sync.Mutex
		parts    []types.CompletedPart
		firstErr error
		wg       sync.WaitGroup
	)
	fail := func(e error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = e
		}
		mu.Unlock()
	}
	failed := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return firstErr != nil
	}
	// After a failure no new part starts, but parts in flight are let finish: the abort must
	// come after the server is done with them, or a server may keep a part it was still
	// receiving (versitygw does).
	sem := make(chan struct{}, s3PartConcurrency)
	r := ctxReader{ctx, data}
	buf := first
	for num := int32(1); !failed(); num++ {
		if num > 10000 {
			fail(fmt.Errorf("more than 10000 parts of %d bytes", s.partSize))
			break
		}
		sem <- struct{}{}
		body := buf
		wg.Go(func() {
			defer func() { <-sem }()
			out, err := s.client.UploadPart(ctx, &s3.UploadPartInput{
				Bucket: aws.String(s.bucket), Key: aws.String(key), UploadId: uploadID,
				PartNumber: aws.Int32(num), Body: bytes.NewReader(body), ContentLength: aws.Int64(int64(len(body))),
			})
			if err != nil {
				fail(fmt.Errorf("part %d: %w", num, err))
				return
			}
			mu.Lock()
			parts = append(parts, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(num)})
			mu.Unlock()
		})
		// The next part is read while earlier ones upload.
		next := make([]byte, s.partSize)
		n, err := io.ReadFull(r, next)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
			fail(err)
			break
		}
		buf = next[:n]
	}
	wg.Wait()
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	if firstErr != nil {
		return fmt.Errorf("writing %s: %w", name, firstErr)
	}
	sort.Slice(parts, func(i, j int) bool { return *parts[i].PartNumber < *parts[j].PartNumber })
	_, err = s.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: aws.String(s.bucket), Key: aws.String(key), UploadId: uploadID,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	})
	if err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	return nil
}

// PutIfAbsent implements Store with PutObject and "If-None-Match: *".
//
// Retries are made here rather than by the SDK so that an ambiguous failure is resolved: when
// an attempt whose outcome is unknown (a timeout, a 5xx) is followed by 412, the earlier
// attempt may have been the one that created the object, and it is ours if it holds our bytes.
func (s *S3) PutIfAbsent(ctx context.Context, name string, data []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	key, err := s.key(name)
	if err != nil {
		return err
	}
	s.dropTail(name)
	ambiguous := false
	for attempt := 1; ; attempt++ {
		_, err := s.client.PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String(s.bucket), Key: aws.String(key),
			Body: bytes.NewReader(data), ContentLength: aws.Int64(int64(len(data))),
			IfNoneMatch: aws.String("*"),
		}, func(o *s3.Options) { o.Retryer = aws.NopRetryer{} })
		if err == nil {
			return nil
		}
		code, status := errorCode(err)
		if status == http.StatusPreconditionFailed || code == "PreconditionFailed" {
			if ambiguous {
				got, rerr := s.ReadAll(ctx, name)
				if rerr != nil {
					return fmt.Errorf("writing %s: outcome unknown: %w", name, rerr)
				}
				if bytes.Equal(got, data) {
					return nil
				}
			}
			return fmt.Errorf("%s: %w", name, ErrExists)
		}
		if ctx.Err() != nil || attempt >= s.retryer.MaxAttempts() || !s.retryer.IsErrorRetryable(err) {
			return fmt.Errorf("writing %s: %w", name, err)
		}
		// 409 means the write lost a race and did not happen; anything else may have.
		if status != http.StatusConflict {
			ambiguous = true
		}
		delay, derr := s.retryer.RetryDelay(attempt, err)
		if derr != nil {
			return fmt.Errorf("writing %s: %w", name, err)
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("writing %s: %w", name, ctx.Err())
		case <-t.C:
		}
	}
}

// List implements Store. It pages through ListObjectsV2 (1000 keys a page).
func (s *S3) List(ctx context.Context, prefix string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := checkPrefix(prefix); err != nil {
		return nil, err
	}
	var out []string
	pages := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{
		Bucket: aws.String(s.bucket), Prefix: aws.String(s.prefix + prefix),
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing %q: %w", prefix, err)
		}
		for _, o := range page.Contents {
			name := strings.TrimPrefix(aws.ToString(o.Key), s.prefix)
			// Keys no store could have written (such as "dir/" markers) are not objects.
			if CheckName(name) == nil {
				out = append(out, name)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

// Delete implements Store.
func (s *S3) Delete(ctx context.Context, name string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	key, err := s.key(name)
	if err != nil {
		return err
	}
	s.dropTail(name)
	_, err = s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	if err != nil && !isNotFound(err) {
		return fmt.Errorf("deleting %s: %w", name, err)
	}
	return nil
}

func (s *S3) dropTail(name string) {
	if s.tails != nil {
		s.tails.drop(name)
	}
}

// tailCache keeps the last bytes of recently opened objects, least recently used first out.
type tailCache struct {
	size int // bytes fetched per tail
	max  int // tails kept

	mu    sync.Mutex
	order *list.List // of *tail, most recent first
	byKey map[string]*list.Element
}

type tail struct {
	name string
	off  int64
	data []byte
}

func newTailCache(size, max int) *tailCache {
	return &tailCache{size: size, max: max, order: list.New(), byKey: make(map[string]*list.Element)}
}

// read fills p from the kept tail of name if it holds [off, off+len(p)).
func (c *tailCache) read(name string, p []byte, off int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byKey[name]
	if !ok {
		return false
	}
	t := e.Value.(*tail)
	if off < t.off || off+int64(len(p)) > t.off+int64(len(t.data)) {
		return false
	}
	copy(p, t.data[off-t.off:])
	c.order.MoveToFront(e)
	return true
}

func (c *tailCache) add(name string, off int64, data []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byKey[name]; ok {
		c.order.Remove(e)
	}
	c.byKey[name] = c.order.PushFront(&tail{name: name, off: off, data: data})
	for c.order.Len() > c.max {
		e := c.order.Back()
		c.order.Remove(e)
		delete(c.byKey, e.Value.(*tail).name)
	}
}

func (c *tailCache) drop(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byKey[name]; ok {
		c.order.Remove(e)
		delete(c.byKey, name)
	}
}
