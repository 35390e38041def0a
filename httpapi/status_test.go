package httpapi

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The status page as the server renders it: tables, the partition tree, a bar per leaf,
// the compaction jobs and the queries, with text escaped.
func TestStatusPage(t *testing.T) {
	s := startServer(t, Options{})
	s.sql("CREATE TABLE t (k bigint PRIMARY KEY, v text) WITH (split_points = '20', online = 'false')")
	for i := 0; i < 4; i++ {
		s.sql("INSERT INTO t SELECT g, '<b>' || g FROM generate_series($1::bigint, 39, 4) g", i)
	}
	s.must(http.StatusOK, "POST", "/api/v1/tables/t/compact", nil)
	s.do("POST", "/api/v1/query", map[string]any{"sql": "SELECT '<script>' FROM nosuch"})
	a := s.must(http.StatusOK, "GET", "/", nil)
	if ct := a.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("content type %q", ct)
	}
	page := string(a.body)
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`<tr data-table="t"><td><a href="#t-t">t</a></td><td class="n">2</td><td class="n">40</td>`),
		regexp.MustCompile(`(?s)<table class="partitions" data-table="t">.*data-leaf="false".*(data-leaf="true".*){2}</table>`),
		regexp.MustCompile(`(?s)aria-label="files per leaf partition">\s*(<rect [^>]*data-value="1">.*?</rect>){2}\s*</svg>`),
		regexp.MustCompile(`<td>t</td><td><code>[^<]+</code></td><td><code>[^<]+</code></td><td>finished</td>`),
		regexp.MustCompile(`<tr data-status="error">.*<code>SELECT &#39;&lt;script&gt;&#39; FROM nosuch</code>`),
		regexp.MustCompile(`<tr data-status="ok">.*<code>VACUUM &#34;t&#34;</code>`),
	} {
		if !want.MatchString(page) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if strings.Contains(page, "<script>' FROM") {
		t.Error("query text is not escaped")
	}
	if t.Failed() {
		t.Logf("page:\n%s", page)
	}
}

// The rate charts plot the differences between readings, from the second one on.
func TestRateChart(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var r rates
	r.add(sample{at: at, rows: 0})
	if c := lineChart("x", r.add(sample{at: at.Add(time.Second), rows: 50}), func(s sample) int64 { return s.rows }); !c.Empty {
		t.Errorf("one reading within the sampling interval charted: %+v", c)
	}
	samples := r.add(sample{at: at.Add(10 * time.Second), rows: 1000})
	c := lineChart("x", samples, func(s sample) int64 { return s.rows })
	if c.Empty || c.LastValue != "100/s" || c.Line != "0,10 480,10" {
		t.Errorf("chart of 1000 rows in 10 s: %+v", c)
	}
	samples = r.add(sample{at: at.Add(20 * time.Second), rows: 1000})
	c = lineChart("x", samples, func(s sample) int64 { return s.rows })
	if c.LastValue != "0/s" || c.Line != "0,10 480,120" {
		t.Errorf("chart after a quiet 10 s: %+v", c)
	}
}
