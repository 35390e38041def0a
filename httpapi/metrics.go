package httpapi

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/sleeperd/sleeperd/engine"
)

// frontends are the query sources every metric by frontend starts at zero for.
var frontends = []string{"pgwire", "flight", "trino", "http"}

// metrics are the Prometheus metrics of one engine: histograms fed by the engine's query and
// commit observers, and a collector that reads the engine's counters and tables at scrape.
type metrics struct {
	queries    *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	rows       *prometheus.CounterVec
	bytes      *prometheus.CounterVec
	commitTime prometheus.Histogram
}

func newMetrics(e *engine.Engine, reg *prometheus.Registry) *metrics {
	m := &metrics{
		queries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sleeperd_queries_total",
			Help: "Statements that ended, by frontend and status (ok, error, cancelled)."}, []string{"frontend", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "sleeperd_query_duration_seconds",
			Help:    "Time from a statement's start to the end of its result, by frontend.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 4, 10)}, []string{"frontend"}),
		rows: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sleeperd_query_rows_total",
			Help: "Rows statements returned or wrote, by frontend."}, []string{"frontend"}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sleeperd_query_result_bytes_total",
			Help: "Bytes of the Arrow batches statements returned, by frontend."}, []string{"frontend"}),
		commitTime: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "sleeperd_statestore_commit_duration_seconds",
			Help:    "Time a state-store commit took, lost races and retries included.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 4, 10)}),
	}
	for _, f := range frontends {
		for _, st := range []string{"ok", "error", "cancelled"} {
			m.queries.WithLabelValues(f, st)
		}
		m.latency.WithLabelValues(f)
		m.rows.WithLabelValues(f)
		m.bytes.WithLabelValues(f)
	}
	reg.MustRegister(m.queries, m.latency, m.rows, m.bytes, m.commitTime, &engineCollector{e: e},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if e != nil {
		e.ObserveQueries(m.observeQuery)
		e.ObserveCommits(func(c engine.CommitInfo) { m.commitTime.Observe(c.Duration.Seconds()) })
	}
	return m
}

func (m *metrics) observeQuery(q engine.QueryInfo) {
	f := q.Frontend
	if f == "" {
		f = "other"
	}
	m.queries.WithLabelValues(f, q.Status).Inc()
	m.latency.WithLabelValues(f).Observe(q.Duration.Seconds())
	m.rows.WithLabelValues(f).Add(float64(q.Rows))
	m.bytes.WithLabelValues(f).Add(float64(q.Bytes))
}

// engineCollector reads the engine's counters and the state of every table at each scrape.
type engineCollector struct {
	e *engine.Engine
}

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, labels, nil)
}

var (
	dFilesOpened    = desc("sleeperd_scan_files_opened_total", "Data files table scans opened.")
	dFilesSkipped   = desc("sleeperd_scan_files_skipped_total", "Data files table scans skipped by key range.")
	dGroupsRead     = desc("sleeperd_scan_row_groups_read_total", "Parquet row groups table scans read.")
	dGroupsSkipped  = desc("sleeperd_scan_row_groups_skipped_total", "Parquet row groups table scans skipped by statistics.")
	dRowsScanned    = desc("sleeperd_scan_rows_total", "Rows table scans returned, after key ranges and merging.")
	dRowsDecoded    = desc("sleeperd_scan_rows_decoded_total", "Rows unmerged table scans decoded from data files before clipping to key ranges.")
	dBytesScanned   = desc("sleeperd_scan_bytes_total", "Bytes table scans read from the object store.")
	dPartsRead      = desc("sleeperd_scan_partitions_read_total", "Leaf partitions table scans read.")
	dPartsPruned    = desc("sleeperd_scan_partitions_pruned_total", "Leaf partitions table scans skipped by key range.")
	dCacheHits      = desc("sleeperd_cache_hits_total", "Column chunk reads the hot cache served.")
	dCacheMisses    = desc("sleeperd_cache_misses_total", "Column chunk reads the hot cache loaded.")
	dCacheBytes     = desc("sleeperd_cache_bytes", "Bytes the hot cache holds.")
	dCacheEntries   = desc("sleeperd_cache_entries", "Column chunks the hot cache holds.")
	dCacheMax       = desc("sleeperd_cache_capacity_bytes", "The hot cache's budget in bytes (0: off).")
	dJobs           = desc("sleeperd_compaction_jobs_total", "Compaction jobs that ended, by status (finished, taken, failed).", "status")
	dJobRowsRead    = desc("sleeperd_compaction_rows_read_total", "Rows compaction jobs read.")
	dJobRowsWritten = desc("sleeperd_compaction_rows_written_total", "Rows compaction jobs wrote.")
	dCommits        = desc("sleeperd_statestore_commits_total", "State-store commits, successful or not.")
	dConflicts      = desc("sleeperd_statestore_conflicts_total", "State-store commits that failed after losing too many races.")
	dLostRaces      = desc("sleeperd_statestore_lost_races_total", "Races for the next log entry state-store commits lost to other writers.")
	dSessions       = desc("sleeperd_sessions", "Open client sessions.")
	dTableFiles     = desc("sleeperd_table_files", "Data files of a table.", "table")
	dTableRows      = desc("sleeperd_table_rows", "Rows in a table's data files.", "table")
	dTableBytes     = desc("sleeperd_table_bytes", "Bytes of a table's data files.", "table")
	dTableParts     = desc("sleeperd_table_partitions", "Partitions of a table.", "table")
	dTableLeaves    = desc("sleeperd_table_leaf_partitions", "Leaf partitions of a table.", "table")
	dScrapeErrors   = desc("sleeperd_table_stats_errors", "1 when reading the tables' state failed at this scrape.")
	jobStatuses     = []string{"finished", "taken", "failed"}
)

func (c *engineCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{dFilesOpened, dFilesSkipped, dGroupsRead, dGroupsSkipped, dRowsScanned, dRowsDecoded,
		dBytesScanned, dPartsRead, dPartsPruned, dCacheHits, dCacheMisses, dCacheBytes, dCacheEntries, dCacheMax, dJobs, dJobRowsRead,
		dJobRowsWritten, dCommits, dConflicts, dLostRaces, dSessions, dTableFiles, dTableRows, dTableBytes, dTableParts,
		dTableLeaves, dScrapeErrors} {
		ch <- d
	}
}

func (c *engineCollector) Collect(ch chan<- prometheus.Metric) {
	if c.e == nil {
		return
	}
	s := c.e.Stats()
	counter := func(d *prometheus.Desc, v int64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge := func(d *prometheus.Desc, v int64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v), labels...)
	}
	counter(dFilesOpened, s.FilesOpened)
	counter(dFilesSkipped, s.FilesSkipped)
	counter(dGroupsRead, s.RowGroupsRead)
	counter(dGroupsSkipped, s.RowGroupsSkipped)
	counter(dRowsScanned, s.RowsScanned)
	counter(dRowsDecoded, s.RowsDecoded)
	counter(dBytesScanned, s.BytesScanned)
	counter(dPartsRead, s.PartitionsRead)
	counter(dPartsPruned, s.PartitionsPruned)
	counter(dCacheHits, s.CacheHits)
	counter(dCacheMisses, s.CacheMisses)
	gauge(dCacheBytes, s.CacheBytes)
	gauge(dCacheEntries, s.CacheEntries)
	gauge(dCacheMax, s.CacheMax)
	for _, st := range jobStatuses {
		counter(dJobs, s.CompactionJobs[st], st)
	}
	counter(dJobRowsRead, s.CompactionRowsRead)
	counter(dJobRowsWritten, s.CompactionRowsWritten)
	counter(dCommits, s.Commits)
	counter(dConflicts, s.CommitConflicts)
	counter(dLostRaces, s.CommitLostRaces)
	gauge(dSessions, s.Sessions)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tables, err := c.e.TableStats(ctx)
	if err != nil {
		gauge(dScrapeErrors, 1)
		return
	}
	gauge(dScrapeErrors, 0)
	for _, t := range tables {
		gauge(dTableFiles, t.Files, t.Name)
		gauge(dTableRows, t.Rows, t.Name)
		gauge(dTableBytes, t.Bytes, t.Name)
		gauge(dTableParts, t.Partitions, t.Name)
		gauge(dTableLeaves, t.LeafPartitions, t.Name)
	}
}
