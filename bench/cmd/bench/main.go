// Command bench measures sleeperd against DuckDB on generated Sleeper system-test data and
// writes the results as a markdown table and a JSON report.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/sleeperd/sleeperd/bench"
)

func main() {
	var cfg bench.Config
	quick := flag.Bool("quick", false, "quick mode: 1M rows (unless -rows is given), 3s of concurrent lookups, 2s per commit workload")
	flag.IntVar(&cfg.Rows, "rows", 1_000_000, "rows to generate and ingest")
	flag.Uint64Var(&cfg.Seed, "seed", 1, "seed of the data, the lookup keys and the ranges")
	flag.IntVar(&cfg.Lookups, "lookups", 1000, "point lookups per engine")
	flag.IntVar(&cfg.Ranges, "ranges", 5, "range scans per engine")
	flag.IntVar(&cfg.RangeRows, "range-rows", 100_000, "rows a range scan aims at (at most a tenth of -rows)")
	flag.IntVar(&cfg.Conns, "conns", 32, "connections of the concurrent lookups")
	flag.DurationVar(&cfg.Duration, "duration", 20*time.Second, "how long the concurrent lookups run per engine")
	flag.DurationVar(&cfg.Commits, "commit-time", 5*time.Second, "how long each state-store commit workload runs")
	flag.IntVar(&cfg.ImportRows, "import-rows", 0, "rows of the bounded-memory import, in whole passes over the input (0: -rows)")
	importMemory := flag.Int64("import-memory-mib", 256, "import memory (engine ImportMemory) of the bounded-memory import, in MiB")
	flag.StringVar(&cfg.ProfileDir, "cpuprofile", "", "directory for a CPU profile of sleeperd's side of each workload")
	out := flag.String("out", "results/latest.json", "JSON report to write; empty writes none")
	md := flag.String("md", "", "markdown table to write besides standard output; empty writes none")
	dir := flag.String("dir", "", "scratch directory; empty makes and removes a temporary one")
	quiet := flag.Bool("q", false, "no progress lines on standard error")
	flag.BoolVar(&cfg.CompactionOnly, "compaction-only", false, "run the compaction workload alone")
	flag.BoolVar(&cfg.CompactionReadAhead, "compaction-read-ahead", true, "compaction reads each input a batch ahead on a goroutine of its own, as the engine's compactions do (false: in turn with the merge)")
	flag.Parse()
	if *quick {
		set := map[string]bool{}
		flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if !set["rows"] {
			cfg.Rows = 1_000_000
		}
		if !set["duration"] {
			cfg.Duration = 3 * time.Second
		}
		if !set["commit-time"] {
			cfg.Commits = 2 * time.Second
		}
	}
	cfg.ImportMemory = *importMemory << 20
	cfg.RangeRows = min(cfg.RangeRows, max(1, cfg.Rows/10))
	if !*quiet {
		cfg.Log = os.Stderr
	}
	if err := run(cfg, *out, *md, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(cfg bench.Config, out, md, dir string) error {
	if dir == "" {
		tmp, err := os.MkdirTemp("", "sleeperd-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	cfg.Dir = dir
	if cfg.ProfileDir != "" {
		if err := os.MkdirAll(cfg.ProfileDir, 0o755); err != nil {
			return err
		}
	}
	rep, runErr := bench.Run(context.Background(), cfg)
	if rep == nil {
		return runErr
	}
	table := rep.Markdown()
	fmt.Print(table)
	var werr error
	if md != "" {
		werr = os.WriteFile(md, []byte(table), 0o644)
	}
	if out != "" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return errors.Join(runErr, err)
		}
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return errors.Join(runErr, err)
		}
		werr = errors.Join(werr, os.WriteFile(out, append(b, '\n'), 0o644))
	}
	return errors.Join(runErr, werr)
}
