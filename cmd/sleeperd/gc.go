package main

import (
	"bufio"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// The Go garbage collector's settings for the server. A server allocates per statement
// (batches, plans, contexts) far faster than its live heap grows, and at Go's default GOGC of
// 100 it spends much of its CPU collecting: eight clients of short lookups on two cores run
// at less than half the rate they reach at 400 (docs/performance.md, "The garbage
// collector's share"). The server therefore collects at 400 unless told otherwise, and sets
// a soft memory limit so that the larger heap this allows stays bounded: the runtime
// collects more often as the heap nears the limit, whatever the percentage.
const defaultGCPercent = 400

// gcConfig is the collector's part of the serve configuration: percent and limit as given by
// --gc-percent and --gc-memory-limit, -1 when not given (then GOGC and GOMEMLIMIT from the
// environment, or the defaults).
type gcConfig struct {
	percent int
	limit   byteSize
}

// gcSettings returns the percentage and the soft memory limit the server runs with:
// the flags when given, else the environment's GOGC and GOMEMLIMIT (which the runtime has
// applied already: ok is false for them), else defaultGCPercent and a limit of the cache's
// budget plus the statements' (--memory-limit) plus 1 GiB, capped at three quarters of the
// machine's memory. A limit of 0 means none.
func (c serveConfig) gcSettings(getenv func(string) string, physical int64) (percent int, setPercent bool, limit int64, setLimit bool) {
	switch {
	case c.gc.percent >= 0:
		percent, setPercent = c.gc.percent, true
	case getenv("GOGC") == "":
		percent, setPercent = defaultGCPercent, true
	}
	switch {
	case c.gc.limit >= 0:
		limit, setLimit = int64(c.gc.limit), true
	case getenv("GOMEMLIMIT") == "":
		limit, setLimit = int64(c.cacheMemory)+int64(c.serverMemory)+1<<30, true
		if c.serverMemory == 0 {
			limit = 0 // statements without a bound: no limit to derive
		}
		if physical > 0 && (limit == 0 || limit > physical/4*3) {
			limit = physical / 4 * 3
		}
	}
	return percent, setPercent, limit, setLimit
}

// applyGC sets the collector's percentage and soft memory limit for the server.
func applyGC(cfg serveConfig, log *slog.Logger) {
	percent, setPercent, limit, setLimit := cfg.gcSettings(os.Getenv, physicalMemory())
	if setPercent {
		if percent == 0 {
			debug.SetGCPercent(-1) // off: collection only as the heap nears the limit
		} else {
			debug.SetGCPercent(percent)
		}
	}
	if setLimit {
		if limit == 0 {
			debug.SetMemoryLimit(1<<63 - 1)
		} else {
			debug.SetMemoryLimit(limit)
		}
	}
	log.Debug("garbage collector", "gc_percent", percent, "from_flags_or_defaults", setPercent, "memory_limit", debug.SetMemoryLimit(-1))
}

// physicalMemory returns the machine's memory in bytes from /proc/meminfo, or 0 when it
// cannot tell.
func physicalMemory() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:")
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) == 2 && fields[1] == "kB" {
			if kb, err := strconv.ParseInt(fields[0], 10, 64); err == nil {
				return kb << 10
			}
		}
	}
	return 0
}

// validate checks the flags' values.
func (g gcConfig) validate() error {
	if g.percent < -1 {
		return fmt.Errorf("-gc-percent must be 0 or more, not %d", g.percent)
	}
	if g.percent == 0 && g.limit == 0 {
		return fmt.Errorf("-gc-percent 0 turns collection off until the heap nears --gc-memory-limit, which must then not be 0")
	}
	return nil
}
