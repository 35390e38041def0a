package e2e

import (
	"context"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/sleeperd/sleeperd/internal/s3test"
)

// TestServeS3 runs sleeperd on a bucket of a real S3 server (versitygw on 127.0.0.1): tables,
// rows and compaction live in the bucket under the prefix, and survive a restart.
func TestServeS3(t *testing.T) {
	needPsql(t)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	endpoint := s3test.VersityGW(t)
	bucket := s3test.NewBucket(t, endpoint)
	s3test.SetEnv(t)
	data := "s3://" + bucket + "/db/one"
	args := []string{"--s3-endpoint", endpoint, "--s3-path-style", "--maintenance-interval", "0"}
	// The working directory shows whether anything is written locally (the binary is built
	// before leaving the package directory).
	build(t)
	cwd := t.TempDir()
	t.Chdir(cwd)

	s := start(ctx, t, data, args...)
	s.psql(ctx, t, "CREATE TABLE t (k bigint PRIMARY KEY, v text) WITH (split_points = '100')")
	for _, stmt := range []string{
		"INSERT INTO t SELECT g, 'a' || g FROM generate_series(1, 150) g",
		"INSERT INTO t SELECT g, 'b' || g FROM generate_series(50, 200) g ON CONFLICT (k) DO UPDATE SET v = excluded.v",
		"DELETE FROM t WHERE k % 10 = 0",
	} {
		s.psql(ctx, t, stmt)
	}
	const summary = "SELECT count(*), min(k), max(k), count(*) FILTER (WHERE v LIKE 'b%') FROM t"
	const want = "180|1|199|135"
	if got := s.psql(ctx, t, summary); got != want {
		t.Fatalf("summary = %q, want %q", got, want)
	}
	if got := s.psql(ctx, t, "SELECT v FROM t WHERE k = 149"); got != "b149" {
		t.Errorf("k = 149: %q, want b149", got)
	}
	s.stop(ctx, t)

	keys := s3test.Keys(t, endpoint, bucket, "")
	parquet := 0
	for _, k := range keys {
		if !strings.HasPrefix(k, "db/one/") {
			t.Errorf("key %q is outside the prefix db/one/", k)
		}
		if strings.HasSuffix(k, ".parquet") {
			parquet++
		}
	}
	if parquet < 3 {
		t.Errorf("the bucket holds %d Parquet files, want at least 3 (keys %q)", parquet, keys)
	}
	if local, _ := readDirNames(cwd); len(local) != 0 {
		t.Errorf("sleeperd wrote %q to its working directory", local)
	}

	// A restart reads everything back from the bucket; VACUUM FULL compacts each leaf to one
	// file and folds the deletes in.
	s = start(ctx, t, data, args...)
	if got := s.psql(ctx, t, summary); got != want {
		t.Errorf("after restart summary = %q, want %q", got, want)
	}
	conn := s.connect(ctx, t, pgx.QueryExecModeCacheStatement)
	before, err := readFiles(ctx, conn, "t")
	if err != nil {
		t.Fatal(err)
	}
	referenced := 0
	for _, f := range before {
		if f.partition != "" {
			referenced++
		}
	}
	s.psql(ctx, t, "VACUUM FULL t")
	after, err := readFiles(ctx, conn, "t")
	if err != nil {
		t.Fatal(err)
	}
	perLeaf := map[string]int{}
	for _, f := range after {
		if f.partition != "" {
			perLeaf[f.partition]++
		}
	}
	if len(perLeaf) != 2 || slices.ContainsFunc(slices.Collect(maps.Values(perLeaf)), func(n int) bool { return n != 1 }) || referenced <= 2 {
		t.Errorf("VACUUM FULL: %d references before, %v per leaf after; want more than 2 before and one per leaf of 2 after", referenced, perLeaf)
	}
	var rows int64
	for _, f := range after {
		if f.partition != "" {
			rows += f.rows
		}
	}
	if rows != 180 {
		t.Errorf("after VACUUM FULL the leaves' files hold %d rows, want 180 (tombstones folded in)", rows)
	}
	if got := s.psql(ctx, t, summary); got != want {
		t.Errorf("after VACUUM FULL summary = %q, want %q", got, want)
	}
	s.stop(ctx, t)

	s = start(ctx, t, data, args...)
	if got := s.psql(ctx, t, summary); got != want {
		t.Errorf("after the second restart summary = %q, want %q", got, want)
	}
	if got := s.psql(ctx, t, "SELECT string_agg(v, ',' ORDER BY k) FROM t WHERE k BETWEEN 95 AND 105"); got != "b95,b96,b97,b98,b99,b101,b102,b103,b104,b105" {
		t.Errorf("range across the split: %q", got)
	}
	s.stop(ctx, t)

	// Another prefix of the same bucket is another, empty database.
	s = start(ctx, t, "s3://"+bucket+"/db/two", args...)
	if out, err := s.psqlErr(ctx, "SELECT * FROM t"); err == nil || !strings.Contains(out, `relation "t" does not exist`) {
		t.Errorf("t in db/two: %v, %q", err, out)
	}
	s.stop(ctx, t)
	if keys := s3test.Keys(t, endpoint, bucket, "db/one/"); !slices.ContainsFunc(keys, func(k string) bool { return strings.HasSuffix(k, ".parquet") }) {
		t.Errorf("db/one lost its files: %q", keys)
	}
}

// readDirNames lists the entries of dir.
func readDirNames(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names, err
}

// A bucket that does not exist fails the start with a clear message.
func TestServeS3MissingBucket(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	endpoint := s3test.VersityGW(t)
	s3test.SetEnv(t)
	cmd := exec.CommandContext(ctx, build(t), "serve", "--data", "s3://nosuchbucket/x", "--s3-endpoint", endpoint,
		"--s3-path-style", "--pg-addr", "127.0.0.1:0", "--flight-addr", "", "--trino-addr", "")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "s3://nosuchbucket/x") || !strings.Contains(string(out), "NoSuchBucket") {
		t.Errorf("serve on a missing bucket: %v\n%s", err, out)
	}
}
