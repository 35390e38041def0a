package bench

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// How peak memory is measured, as recorded in Figure.MemMethod.
const (
	// MemGoHeap is the peak of the Go heap's live and not yet swept objects
	// (runtime/metrics /memory/classes/heap/objects:bytes) over its value after a GC at the
	// start of the workload. Arrow buffers of sleeperd are Go heap memory.
	MemGoHeap = "go heap in use, peak over start"
	// MemRSS is the peak resident set size of the process (/proc/self/status VmRSS) over its
	// value at the start of the workload: DuckDB allocates outside the Go heap. Memory its
	// allocator kept from an earlier workload is reused and not counted again.
	MemRSS = "process RSS, peak over start"
)

// samplePeriod is how often memory is sampled during a workload.
const samplePeriod = 5 * time.Millisecond

const heapMetric = "/memory/classes/heap/objects:bytes"

// sampler records the peak of a memory gauge from Start to Stop.
type sampler struct {
	read     func() int64
	base     int64
	peak     int64
	stop     chan struct{}
	finished sync.WaitGroup
}

// startSampler runs a garbage collection, reads the gauge named by method and samples it
// until stop is called.
func startSampler(method string) *sampler {
	s := &sampler{stop: make(chan struct{})}
	switch method {
	case MemGoHeap:
		m := []metrics.Sample{{Name: heapMetric}}
		s.read = func() int64 {
			metrics.Read(m)
			if m[0].Value.Kind() != metrics.KindUint64 {
				return 0
			}
			return int64(m[0].Value.Uint64())
		}
	default:
		s.read = rss
	}
	runtime.GC()
	s.base = s.read()
	s.peak = s.base
	s.finished.Add(1)
	go func() {
		defer s.finished.Done()
		t := time.NewTicker(samplePeriod)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-t.C:
				s.peak = max(s.peak, s.read())
			}
		}
	}()
	return s
}

// done stops sampling and returns the peak over the starting value, in bytes.
func (s *sampler) done() int64 {
	close(s.stop)
	s.finished.Wait()
	s.peak = max(s.peak, s.read())
	return s.peak - s.base
}

// rss returns the resident set size of the process in bytes, or 0 where /proc is missing.
func rss() int64 { return ProcStatus(os.Getpid(), "VmRSS") }

// ProcStatus returns a "<name>: <n> kB" field of /proc/<pid>/status (VmRSS, VmHWM) in bytes,
// or 0 where /proc or the field is missing.
func ProcStatus(pid int, name string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	_, rest, ok := bytes.Cut(b, []byte(name+":"))
	if !ok {
		return 0
	}
	line, _, _ := bytes.Cut(rest, []byte("\n"))
	kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(string(line)), "kB")), 10, 64)
	if err != nil {
		return 0
	}
	return kb << 10
}

// LoadAvg returns the 1-minute load average from /proc/loadavg, or -1.
func LoadAvg() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return -1
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return -1
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return -1
	}
	return v
}

// slug turns a workload name into a file name.
func slug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// measure runs one engine's side of a workload, recording its peak memory by method and,
// when profileDir is set, a CPU profile in profileDir/<slug of name>.pprof. Before it starts,
// the file system's dirty pages are written out (untimed), so that neither engine's side pays
// for the write-back of what ran before it: the previous workload's or the other engine's
// output, or a set-up's input files.
func measure(name, method, profileDir string, f func() (Figure, error)) (Figure, error) {
	syscall.Sync()
	var prof *os.File
	if profileDir != "" {
		p := filepath.Join(profileDir, slug(name)+".pprof")
		var err error
		if prof, err = os.Create(p); err != nil {
			return Figure{}, fmt.Errorf("bench: cpu profile: %w", err)
		}
		defer prof.Close()
	}
	s := startSampler(method)
	if prof != nil {
		if err := pprof.StartCPUProfile(prof); err != nil {
			s.done()
			return Figure{}, fmt.Errorf("bench: cpu profile: %w", err)
		}
	}
	fig, err := f()
	if prof != nil {
		pprof.StopCPUProfile()
		fig.Profile = filepath.Base(prof.Name())
	}
	fig.PeakMemBytes = s.done()
	fig.MemMethod = method
	if err != nil {
		return Figure{}, err
	}
	if prof != nil {
		if err := prof.Close(); err != nil {
			return Figure{}, fmt.Errorf("bench: cpu profile: %w", err)
		}
	}
	return fig, nil
}
