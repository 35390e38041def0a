package main

import (
	"bufio"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The Go garbage collector's settings for the server. A server allocates per statement
// (batches, plans, contexts) far faster than its live heap grows, and at Go's default GOGC of
// 100 it spends much of its CPU collecting: eight clients of short lookups on two cores run
// at less than half the rate they reach at 400 (docs/performance.md, "The garbage
// collector's share"). The server therefore collects at 400 unless told otherwise, and sets
// a soft memory limit so that the larger heap this allows stays bounded: the runtime
// collects more often as the heap nears the limit, whatever the percentage.
const defaultGCPercent = 400

// gcConfig is the collector's part of the serve configuration: percent, limit and minHeap as
// given by --gc-percent, --gc-memory-limit and --gc-min-heap, -1 when not given (then GOGC
// and GOMEMLIMIT from the environment, or the defaults).
type gcConfig struct {
	percent int
	limit   byteSize
	minHeap byteSize
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

// gcMinHeap returns the heap the collector lets the server grow to before it collects,
// whatever the percentage gives (see heapFloor), for the percentage and soft limit that
// gcSettings chose (setPercent false: GOGC from the environment): --gc-min-heap when given;
// else none when GOGC is set in the environment and --gc-percent is not (the environment
// keeps control) or when collection is off; else half of the hot cache's budget, at most a
// quarter of the soft limit. 0 means no floor.
//
// Half the cache's budget: the live heap of a server whose cache is far from full is small
// (tens of MB for a million-row table held hot), and at 400 percent of that the collector
// runs several times per 100,000 point lookups; memory the cache is allowed to fill anyway
// holds garbage instead until it does, and a full cache's live heap exceeds the floor, so
// that the percentage alone decides again.
func (c serveConfig) gcMinHeap(getenv func(string) string, percent int, setPercent bool, limit int64) int64 {
	switch {
	case c.gc.minHeap >= 0:
		return int64(c.gc.minHeap)
	case !setPercent && getenv("GOGC") != "", setPercent && percent == 0:
		return 0
	}
	floor := int64(c.cacheMemory) / 2
	if limit > 0 && floor > limit/4 {
		floor = limit / 4
	}
	return floor
}

// applyGC sets the collector's percentage, soft memory limit and minimum heap for the server;
// stop ends the minimum heap's adjustments (the settings stay as they are).
func applyGC(cfg serveConfig, log *slog.Logger) (stop func()) {
	stop = func() {}
	percent, setPercent, limit, setLimit := cfg.gcSettings(os.Getenv, physicalMemory())
	if !setLimit {
		limit = debug.SetMemoryLimit(-1)
		if limit == 1<<63-1 {
			limit = 0
		}
	}
	minHeap := cfg.gcMinHeap(os.Getenv, percent, setPercent, limit)
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
	if minHeap > 0 {
		base := percent
		if !setPercent {
			base = currentGCPercent()
		}
		if base > 0 {
			stop = startHeapFloor(minHeap, base)
		}
	}
	log.Debug("garbage collector", "gc_percent", percent, "from_flags_or_defaults", setPercent, "memory_limit", debug.SetMemoryLimit(-1), "min_heap", minHeap)
	return stop
}

// heapFloor keeps the collector's heap goal at floor bytes or more: after every collection
// it sets the percentage to base, or to the larger one that puts the next collection at
// floor bytes of heap when the live heap is small. Go has no such setting of its own (GOGC
// is relative to the live heap, GOMEMLIMIT an upper bound), so the percentage follows the
// live heap. The soft memory limit still bounds the heap: the runtime collects as the heap
// nears it, whatever the percentage.
//
// The percentage set after one collection applies to the live heap the next one marks: if
// the live heap grew in between (a large write), the goal is the floor times that growth
// until the percentage is set again. So it is set promptly: a goroutine looks for a new
// collection every heapFloorPoll (a finalizer runs only once its object is swept, which
// under load may be long after the collection).
type heapFloor struct {
	floor  int64
	base   int
	sample [3]metrics.Sample // collections so far, the live heap, the percentage
}

// heapFloorPoll is how often heapFloor looks for a collection that ended.
const heapFloorPoll = 20 * time.Millisecond

// maxFloorPercent bounds the percentage heapFloor sets.
const maxFloorPercent = 10_000

// gcPercentFor returns the percentage that makes the heap goal of a live heap of live bytes
// at least floor bytes, and at least base; base while the live heap is not known yet (no
// collection so far).
func gcPercentFor(live, floor int64, base int) int {
	if live <= 0 {
		return base
	}
	live = max(live, 1<<20)
	p := floor/live*100 + floor%live*100/live - 100
	if p > maxFloorPercent {
		p = maxFloorPercent
	}
	return max(base, int(p))
}

// startHeapFloor applies a heapFloor now and after every collection until stop is called
// (stop returns once it no longer sets the percentage).
func startHeapFloor(floor int64, base int) (stop func()) {
	h := &heapFloor{floor: floor, base: base}
	h.sample[0].Name = "/gc/cycles/total:gc-cycles"
	h.sample[1].Name = "/gc/heap/live:bytes"
	h.sample[2].Name = "/gc/gogc:percent"
	cycles := h.adjust()
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(heapFloorPoll)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			metrics.Read(h.sample[:1])
			if h.sample[0].Value.Uint64() != cycles {
				cycles = h.adjust()
			}
		}
	}()
	return sync.OnceFunc(func() {
		close(done)
		<-stopped
	})
}

// adjust sets the percentage for the live heap the last collection left, and returns the
// count of collections it read.
func (h *heapFloor) adjust() uint64 {
	metrics.Read(h.sample[:])
	var live int64
	if h.sample[1].Value.Kind() == metrics.KindUint64 {
		live = int64(h.sample[1].Value.Uint64())
	}
	p := gcPercentFor(live, h.floor, h.base)
	if h.sample[2].Value.Kind() != metrics.KindUint64 || h.sample[2].Value.Uint64() != uint64(p) {
		debug.SetGCPercent(p)
	}
	if h.sample[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return h.sample[0].Value.Uint64()
}

// currentGCPercent returns the collector's percentage now (GOGC from the environment, or
// 100), or -1 when collection is off.
func currentGCPercent() int {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 100
	}
	if v := s[0].Value.Uint64(); v <= 1<<31 {
		return int(v)
	}
	return -1 // off: the runtime reports -1 as an unsigned number
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
