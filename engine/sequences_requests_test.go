package engine

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/internal/s3test"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// TestRequestsSerialInsert counts the S3 requests of a one-row INSERT into a table with a
// serial column (a sequence of CACHE 1: one log entry per INSERT) and with a sequence of
// CACHE 100, against the same table without one. It asserts only that the sequence costs
// requests of its own and no catalog read; the numbers are logged for docs/performance.md.
func TestRequestsSerialInsert(t *testing.T) {
	endpoint := s3test.FakeS3(t)
	bucket := s3test.NewBucket(t, endpoint)
	ctr := &requestCounter{count: map[string]int{}}
	o := objstore.S3Options{Bucket: bucket, Prefix: "db", Endpoint: endpoint, PathStyle: true,
		Region: s3test.Region, Credentials: s3test.Credentials(), HTTPClient: &http.Client{Transport: ctr}}
	s, err := objstore.NewS3(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	e, c := open(t, s, memory.NewGoAllocator())
	defer e.Close()
	run(t, c, "CREATE TABLE plain (id bigint, v text)")
	run(t, c, "CREATE TABLE ser (id bigserial, v text)")
	run(t, c, "CREATE SEQUENCE cached CACHE 100")
	run(t, c, "CREATE TABLE cac (id bigint DEFAULT nextval('cached'), v text)")
	const n = 20
	counts := map[string]map[string]int{}
	for _, tc := range []struct{ name, sql string }{
		{"plain", "INSERT INTO plain VALUES (%d, 'x')"},
		{"ser", "INSERT INTO ser (v) VALUES ('x%d')"},
		{"cac", "INSERT INTO cac (v) VALUES ('x%d')"},
	} {
		for i := 0; i < 2; i++ { // warm
			run(t, c, fmt.Sprintf(tc.sql, i))
		}
		ctr.take()
		for i := 0; i < n; i++ {
			run(t, c, fmt.Sprintf(tc.sql, i))
		}
		counts[tc.name] = ctr.take()
		t.Logf("one-row INSERT into %s: %.1f requests per statement (%s over %d)", tc.name, float64(total(counts[tc.name]))/n, formatCounts(counts[tc.name]), n)
	}
	if total(counts["ser"]) <= total(counts["plain"]) {
		t.Errorf("a serial INSERT costs no more requests than a plain one: %v vs %v", counts["ser"], counts["plain"])
	}
	if counts["ser"]["GET catalog-log"] != counts["plain"]["GET catalog-log"] {
		t.Errorf("a serial INSERT reads the catalog log %d times over %d, a plain one %d", counts["ser"]["GET catalog-log"], n, counts["plain"]["GET catalog-log"])
	}
}
