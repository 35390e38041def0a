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

	"github.com/sleeperd/sleeperd/bench"
)

func main() {
	rows := flag.Int("rows", 1_000_000, "rows to generate and ingest")
	seed := flag.Uint64("seed", 1, "seed of the data and the lookup keys")
	lookups := flag.Int("lookups", 1000, "point lookups per engine")
	out := flag.String("out", "results/latest.json", "JSON report to write; empty writes none")
	dir := flag.String("dir", "", "scratch directory; empty makes and removes a temporary one")
	flag.Parse()
	if err := run(*rows, *seed, *lookups, *out, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(rows int, seed uint64, lookups int, out, dir string) error {
	if dir == "" {
		tmp, err := os.MkdirTemp("", "sleeperd-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	rep, runErr := bench.Run(context.Background(), bench.Config{Rows: rows, Seed: seed, Lookups: lookups, Dir: dir})
	if rep == nil {
		return runErr
	}
	fmt.Print(rep.Markdown())
	if out != "" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(out, append(b, '\n'), 0o644); err != nil {
			return errors.Join(runErr, err)
		}
	}
	return runErr
}
