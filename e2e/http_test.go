package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

var (
	requirePromtool = os.Getenv("SLT_REQUIRE_PROMTOOL") == "1"
	requireChromium = os.Getenv("SLT_REQUIRE_CHROMIUM") == "1"
	httpListenLine  = regexp.MustCompile(`msg=listening protocol=https? addr=(\S+)`)
)

// httpAddr waits for the server's HTTP listen line and returns its address.
func (s *server) httpAddr(ctx context.Context, t *testing.T) string {
	t.Helper()
	for {
		if m := httpListenLine.FindStringSubmatch(s.logs.String()); m != nil {
			return strings.Trim(m[1], `"`)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no HTTP listen line: %v\n%s", ctx.Err(), s.logs)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func httpGet(ctx context.Context, t *testing.T, url string) string {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d: %s", url, resp.StatusCode, body)
	}
	return string(body)
}

// tool finds a program the test needs, skipping the test without it unless required.
func tool(t *testing.T, name string, required bool, env string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if required {
			t.Fatalf("%s is required (%s=1) but not found: %v", name, env, err)
		}
		t.Skipf("skipping: %s not found (%s=1 makes this a failure)", name, env)
	}
	return p
}

// loadForHTTP fills a server with a table of three leaves written by several ingests and
// compacted, and runs queries over it.
func loadForHTTP(ctx context.Context, t *testing.T, s *server) {
	t.Helper()
	s.psql(ctx, t, "CREATE TABLE readings (id bigint PRIMARY KEY, sensor text, value double precision) WITH (split_points = '1000,2000', online = 'false')")
	// Four ingests that each write a file to every leaf: enough for compaction.
	for i := 0; i < 4; i++ {
		s.psql(ctx, t, fmt.Sprintf("INSERT INTO readings SELECT g, 's' || (g %% 7), g * 0.5 FROM generate_series(%d, 2999, 4) g", i))
	}
	s.psql(ctx, t, "VACUUM readings")
	s.psql(ctx, t, "INSERT INTO readings SELECT g, 'late', 0 FROM generate_series(3000, 3099) g")
	for _, q := range []string{"SELECT count(*) FROM readings", "SELECT * FROM readings WHERE id = 1500", "SELECT sensor, avg(value) FROM readings GROUP BY sensor"} {
		s.psql(ctx, t, q)
	}
	if _, err := s.psqlErr(ctx, "SELECT * FROM nosuch"); err == nil {
		t.Fatal("a query of a missing table succeeded")
	}
}

// metricValue is the value of the sample named series (with its labels, as exposed).
func metricValue(t *testing.T, body, series string) float64 {
	t.Helper()
	for _, line := range strings.Split(body, "\n") {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return v
		}
	}
	t.Fatalf("no sample %s in the metrics", series)
	return 0
}

// /metrics of a server that ran queries, ingests and compactions counts them, and passes
// promtool check metrics.
func TestHTTPMetrics(t *testing.T) {
	promtool := tool(t, "promtool", requirePromtool, "SLT_REQUIRE_PROMTOOL")
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	s := start(ctx, t, t.TempDir())
	addr := s.httpAddr(ctx, t)
	loadForHTTP(ctx, t, s)
	if got := httpGet(ctx, t, "http://"+addr+"/healthz"); !strings.Contains(got, "ok") {
		t.Errorf("/healthz: %s", got)
	}
	body := httpGet(ctx, t, "http://"+addr+"/metrics")
	cmd := exec.CommandContext(ctx, promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("promtool check metrics: %v\n%s", err, out)
	}
	for series, check := range map[string]func(float64) bool{
		`sleeperd_queries_total{frontend="pgwire",status="ok"}`:    func(v float64) bool { return v >= 9 },
		`sleeperd_queries_total{frontend="pgwire",status="error"}`: func(v float64) bool { return v == 1 },
		`sleeperd_query_duration_seconds_count{frontend="pgwire"}`: func(v float64) bool { return v >= 10 },
		`sleeperd_compaction_jobs_total{status="finished"}`:        func(v float64) bool { return v >= 1 },
		`sleeperd_compaction_rows_written_total`:                   func(v float64) bool { return v >= 3000 },
		`sleeperd_statestore_commits_total`:                        func(v float64) bool { return v >= 6 },
		`sleeperd_statestore_commit_duration_seconds_count`:        func(v float64) bool { return v >= 6 },
		`sleeperd_scan_partitions_pruned_total`:                    func(v float64) bool { return v >= 2 },
		`sleeperd_scan_rows_total`:                                 func(v float64) bool { return v >= 3100 },
		`sleeperd_table_rows{table="readings"}`:                    func(v float64) bool { return v == 3100 },
		`sleeperd_table_leaf_partitions{table="readings"}`:         func(v float64) bool { return v == 3 },
		`sleeperd_table_partitions{table="readings"}`:              func(v float64) bool { return v == 5 },
	} {
		if v := metricValue(t, body, series); !check(v) {
			t.Errorf("%s = %v", series, v)
		}
	}
	s.stop(ctx, t)
}

// Headless Chromium loads the status page of a server with data; the rendered DOM shows
// the table, its partition tree, the compaction jobs, the queries and the charts, and the
// page's script ran. SLEEPERD_STATUS_SCREENSHOT=FILE also saves a screenshot there.
func TestHTTPStatusPageChromium(t *testing.T) {
	chromium := tool(t, "chromium", requireChromium, "SLT_REQUIRE_CHROMIUM")
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	s := start(ctx, t, t.TempDir())
	addr := s.httpAddr(ctx, t)
	loadForHTTP(ctx, t, s)
	url := "http://" + addr + "/"
	profile := t.TempDir()
	args := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
		"--user-data-dir=" + profile, "--virtual-time-budget=2000"}
	cmd := exec.CommandContext(ctx, chromium, append(args, "--dump-dom", url)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium --dump-dom: %v\n%s", err, stderr.String())
	}
	dom := string(out)
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`<tr data-table="readings"><td><a href="#t-readings">readings</a></td><td class="n">\d+</td><td class="n">3100</td>`),
		// the partition tree: the root and its two children, then three leaves
		regexp.MustCompile(`(?s)<table class="partitions" data-table="readings">.*(<tr data-partition="[^"]+" data-leaf="true">.*){3}</table>`),
		// the chart of files per leaf partition: one bar per leaf
		regexp.MustCompile(`(?s)<svg class="chart"[^>]*aria-label="files per leaf partition">\s*(<rect [^>]*data-value="\d+">.*?</rect>){3}\s*</svg>`),
		regexp.MustCompile(`<td>readings</td><td><code>[^<]+</code></td><td><code>[^<]+</code></td><td>finished</td>`),
		regexp.MustCompile(`<tr data-status="error">.*<code>SELECT \* FROM nosuch</code>`),
		regexp.MustCompile(`<tr data-status="ok">.*<code>VACUUM readings</code>`),
		// the inline script filled in the time it ran
		regexp.MustCompile(`<span id="updated">[^<]+</span>`),
		regexp.MustCompile(`aria-label="rows stored per second"`),
	} {
		if !want.MatchString(dom) {
			t.Errorf("the rendered page lacks %s", want)
		}
	}
	if t.Failed() {
		t.Logf("DOM:\n%s", dom)
	}
	if shot := os.Getenv("SLEEPERD_STATUS_SCREENSHOT"); shot != "" {
		abs, err := filepath.Abs(shot)
		if err != nil {
			t.Fatal(err)
		}
		// A second render, so the rate charts have two samples to draw a line between.
		time.Sleep(6 * time.Second)
		s.psql(ctx, t, "INSERT INTO readings SELECT g, 'later', 1 FROM generate_series(4000, 5999) g")
		cmd := exec.CommandContext(ctx, chromium, append(args, "--hide-scrollbars", "--window-size=1280,1700", "--screenshot="+abs, url)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("chromium --screenshot: %v\n%s", err, out)
		}
	}
	s.stop(ctx, t)
}
