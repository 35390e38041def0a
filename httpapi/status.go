package httpapi

import (
	"context"
	_ "embed"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/sleeperd/sleeperd/engine"
)

//go:embed status.html
var statusHTML string

var statusPage = template.Must(template.New("status").Funcs(template.FuncMap{
	"bytes":  humanBytes,
	"ms":     func(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d.Microseconds())/1000) },
	"indent": func(depth int) template.CSS { return template.CSS(fmt.Sprintf("padding-left:%dem", depth*2+1)) },
	"when": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("15:04:05")
	},
}).Parse(statusHTML))

// sample is one reading of the counters the rate charts plot.
type sample struct {
	at              time.Time
	rows, compacted int64
}

// rates keeps the recent samples of the rate charts: taken at each render of the page, at
// most one every sampleEvery.
type rates struct {
	mu      sync.Mutex
	samples []sample
}

const (
	sampleEvery = 5 * time.Second
	maxSamples  = 120
)

func (r *rates) add(s sample) []sample {
	r.mu.Lock()
	defer r.mu.Unlock()
	if n := len(r.samples); n == 0 || s.at.Sub(r.samples[n-1].at) >= sampleEvery {
		r.samples = append(r.samples, s)
		if len(r.samples) > maxSamples {
			r.samples = r.samples[len(r.samples)-maxSamples:]
		}
	}
	return append([]sample(nil), r.samples...)
}

// chart is an inline SVG chart: bars or a line.
type chart struct {
	Title     string
	Width     int
	Height    int
	Bars      []bar
	Line      string // polyline points
	Max       string
	Empty     bool
	LastValue string
}

type bar struct {
	X, Y, W, H int
	Label      string
	Value      int64
}

const chartW, chartH = 480, 120

// barChart charts the files of each leaf partition.
func barChart(title string, labels []string, values []int64) chart {
	c := chart{Title: title, Width: chartW, Height: chartH, Empty: len(values) == 0}
	var max int64 = 1
	for _, v := range values {
		if v > max {
			max = v
		}
	}
	c.Max = fmt.Sprint(max)
	if len(values) == 0 {
		return c
	}
	w := chartW / len(values)
	if w < 1 {
		w = 1
	}
	for i, v := range values {
		h := int(float64(v) / float64(max) * (chartH - 10))
		c.Bars = append(c.Bars, bar{X: i * w, Y: chartH - h, W: max1(w-1, 1), H: h, Label: labels[i], Value: v})
	}
	return c
}

// lineChart charts the rate per second of a counter between samples.
func lineChart(title string, samples []sample, value func(sample) int64) chart {
	c := chart{Title: title, Width: chartW, Height: chartH}
	if len(samples) < 2 {
		c.Empty = true
		return c
	}
	var pts []float64
	for i := 1; i < len(samples); i++ {
		dt := samples[i].at.Sub(samples[i-1].at).Seconds()
		d := float64(value(samples[i]) - value(samples[i-1]))
		if dt <= 0 || d < 0 {
			d, dt = 0, 1
		}
		pts = append(pts, d/dt)
	}
	if len(pts) == 1 {
		// One rate so far: a level line across the chart.
		pts = append(pts, pts[0])
	}
	max := 1.0
	for _, p := range pts {
		max = math.Max(max, p)
	}
	var b strings.Builder
	for i, p := range pts {
		x := 0
		if len(pts) > 1 {
			x = i * chartW / (len(pts) - 1)
		}
		fmt.Fprintf(&b, "%d,%d ", x, chartH-int(p/max*(chartH-10)))
	}
	c.Line = strings.TrimSpace(b.String())
	c.Max = fmt.Sprintf("%.0f/s", max)
	c.LastValue = fmt.Sprintf("%.0f/s", pts[len(pts)-1])
	return c
}

func max1(a, b int) int {
	if a > b {
		return a
	}
	return b
}

// statusTable is one table on the status page.
type statusTable struct {
	engine.TableStats
	Chart chart
}

// statusData is what the status page shows.
type statusData struct {
	Now         time.Time
	Stats       engine.Stats
	Tables      []statusTable
	Jobs        []engine.JobReport
	Running     []engine.QueryInfo
	Recent      []engine.QueryInfo
	Sessions    []engine.SessionInfo
	IngestRate  chart
	CompactRate chart
	Error       string
}

// maxListed bounds the recent queries and jobs the page lists.
const maxListed = 50

func (s *Server) statusData(ctx context.Context) statusData {
	d := statusData{Now: time.Now().UTC(), Stats: s.e.Stats(), Sessions: s.e.Sessions()}
	tables, err := s.e.TableStats(ctx)
	if err != nil {
		d.Error = err.Error()
	}
	var rows int64
	for _, t := range tables {
		rows += t.Rows
		var labels []string
		var files []int64
		for _, p := range t.Partition {
			if p.Leaf {
				labels = append(labels, p.ID)
				files = append(files, p.Files)
			}
		}
		d.Tables = append(d.Tables, statusTable{TableStats: t, Chart: barChart("files per leaf partition", labels, files)})
	}
	samples := s.rates.add(sample{at: time.Now(), rows: rows, compacted: d.Stats.CompactionRowsWritten})
	d.IngestRate = lineChart("rows stored per second", samples, func(s sample) int64 { return s.rows })
	d.CompactRate = lineChart("rows compacted per second", samples, func(s sample) int64 { return s.compacted })
	jobs := s.e.Jobs()
	sort.SliceStable(jobs, func(i, j int) bool { return jobs[i].Started.After(jobs[j].Started) })
	if len(jobs) > maxListed {
		jobs = jobs[:maxListed]
	}
	d.Jobs = jobs
	for _, q := range s.e.Queries() {
		if q.Status == "running" {
			d.Running = append(d.Running, q)
		} else if len(d.Recent) < maxListed {
			d.Recent = append(d.Recent, q)
		}
	}
	return d
}

// status renders the status page.
func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	d := s.statusData(r.Context())
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := statusPage.Execute(w, d); err != nil {
		s.log.Warn("rendering the status page", "err", err)
	}
}

// humanBytes is n in B, KiB, MiB or GiB.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n), -1
	for v >= unit && i < 3 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %ciB", v, "KMGT"[i])
}
