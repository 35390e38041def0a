// Package s3test starts S3 servers on 127.0.0.1 for tests: gofakes3 in process, and a real
// versitygw server (posix backend) as a child process.
package s3test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// The credentials every server started here accepts.
const (
	Access = "sleeperdtestkey"
	Secret = "sleeperdtestsecret"
	Region = "us-east-1"
)

// VersityGWModule is the versitygw release the tests run (make deps installs it).
const VersityGWModule = "github.com/versity/versitygw/cmd/versitygw@v1.8.0"

// RequireEnv, when set in the environment, turns a missing versitygw binary into a test
// failure instead of a skip (make test sets it).
const RequireEnv = "SLT_REQUIRE_VERSITYGW"

// Credentials returns a provider of Access and Secret.
func Credentials() aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider(Access, Secret, "")
}

// Client returns an SDK client for the server at endpoint, with path-style addressing.
func Client(endpoint string) *s3.Client {
	return s3.New(s3.Options{
		BaseEndpoint: aws.String(endpoint), UsePathStyle: true, Region: Region, Credentials: Credentials(),
	})
}

var bucketSeq atomic.Int64

// SetEnv points the standard AWS credential chain of this process and its children at the test
// servers' credentials, for the rest of the test; nothing else may answer (no shared config
// files, no instance role).
func SetEnv(t testing.TB) {
	t.Setenv("AWS_ACCESS_KEY_ID", Access)
	t.Setenv("AWS_SECRET_ACCESS_KEY", Secret)
	t.Setenv("AWS_REGION", Region)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/none")
}

// NewBucket creates a fresh bucket on the server at endpoint and returns its name.
func NewBucket(t testing.TB, endpoint string) string {
	t.Helper()
	name := fmt.Sprintf("b%d-%d", os.Getpid(), bucketSeq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := Client(endpoint).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("creating bucket %s: %v", name, err)
	}
	return name
}

// Keys lists every key of bucket under prefix.
func Keys(t testing.TB, endpoint, bucket, prefix string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var keys []string
	pages := s3.NewListObjectsV2Paginator(Client(endpoint), &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatalf("listing %s/%s: %v", bucket, prefix, err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys
}

// FakeS3 serves gofakes3 with its in-memory backend on 127.0.0.1 until the test ends, and
// returns its endpoint.
func FakeS3(t testing.TB) string {
	t.Helper()
	srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	t.Cleanup(srv.Close)
	return srv.URL
}

// VersityGWPath finds the versitygw binary on PATH or in $(go env GOPATH)/bin. Without it
// the test is skipped, or fails when RequireEnv is set.
func VersityGWPath(t testing.TB) string {
	t.Helper()
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		for _, dir := range filepath.SplitList(strings.TrimSpace(string(out))) {
			p := filepath.Join(dir, "bin", "versitygw")
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
	}
	msg := "versitygw not found on PATH or in $(go env GOPATH)/bin; make deps installs it (go install " + VersityGWModule + ")"
	if os.Getenv(RequireEnv) != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// VersityGW runs a versitygw server with its posix backend in a temporary directory, on a
// free port of 127.0.0.1, until the test ends, and returns its endpoint.
func VersityGW(t testing.TB) string {
	t.Helper()
	bin := VersityGWPath(t)
	dir := t.TempDir()
	backend := []string{"posix", dir}
	// The posix backend keeps object metadata in user xattrs; where the temporary directory's
	// file system has none (tmpfs without user_xattr), it keeps it in a sidecar directory.
	if !userXattrs(dir) || os.Getenv("S3TEST_VERSITYGW_SIDECAR") != "" {
		backend = []string{"posix", "--sidecar", t.TempDir(), dir}
	}
	for range 5 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		ctx, cancel := context.WithCancel(context.Background())
		args := append([]string{"--access", Access, "--secret", Secret, "--region", Region,
			"--port", addr, "--quiet"}, backend...)
		cmd := exec.CommandContext(ctx, bin, args...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			cancel()
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); {
			select {
			case <-exited: // most likely the port was taken meanwhile: try another
				deadline = time.Time{}
				continue
			default:
			}
			if c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond); err == nil {
				c.Close()
				t.Cleanup(func() { cancel(); <-exited })
				return "http://" + addr
			}
			time.Sleep(20 * time.Millisecond)
		}
		cancel()
		<-exited
		t.Logf("versitygw on %s did not start: %s", addr, out.String())
	}
	t.Fatal("versitygw did not start")
	return ""
}

// userXattrs reports whether files in dir can carry user extended attributes.
func userXattrs(dir string) bool {
	f, err := os.CreateTemp(dir, "xattr-probe-")
	if err != nil {
		return false
	}
	defer os.Remove(f.Name())
	f.Close()
	return syscall.Setxattr(f.Name(), "user.sleeperd.probe", []byte("1"), 0) == nil
}
