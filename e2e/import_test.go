package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/sleeperd/sleeperd/internal/s3test"
)

// TestServeCopyS3 runs sleeperd on a local directory with serve's S3 flags pointing at a
// real S3 server (versitygw on 127.0.0.1): COPY exports a table to the bucket and imports it
// back through a glob.
func TestServeCopyS3(t *testing.T) {
	needPsql(t)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	endpoint := s3test.VersityGW(t)
	bucket := s3test.NewBucket(t, endpoint)
	s3test.SetEnv(t)
	s := start(ctx, t, t.TempDir(), "--s3-endpoint", endpoint, "--s3-path-style", "--maintenance-interval", "0")
	s.psql(ctx, t, "CREATE TABLE t (k bigint PRIMARY KEY, v text) WITH (split_points = '100')")
	s.psql(ctx, t, "INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 150) g")
	s.psql(ctx, t, fmt.Sprintf("COPY t TO 's3://%s/exp/t' (FORMAT parquet)", bucket))
	if keys := s3test.Keys(t, endpoint, bucket, "exp/t/"); len(keys) != 2 || !strings.HasSuffix(keys[0], ".parquet") {
		t.Errorf("keys %q, want a Parquet file per leaf", keys)
	}
	s.psql(ctx, t, "CREATE TABLE u (k bigint PRIMARY KEY, v text)")
	s.psql(ctx, t, fmt.Sprintf("COPY u FROM 's3://%s/exp/t/*.parquet' (FORMAT parquet)", bucket))
	const summary = "SELECT count(*), sum(k), max(v) FROM %s"
	if got, want := s.psql(ctx, t, fmt.Sprintf(summary, "u")), s.psql(ctx, t, fmt.Sprintf(summary, "t")); got != want || want != "150|11325|v99" {
		t.Errorf("imported %q, exported %q, want 150|11325|v99", got, want)
	}
	s.stop(ctx, t)
}
