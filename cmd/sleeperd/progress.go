package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress reports how an import or export goes: on a terminal a bar with rows, bytes, rate
// and ETA; otherwise a line every interval; and a summary line at the end. Bytes are input
// bytes read (import, against the files' total size, which gives the ETA) or bytes received
// (export, whose total is not known ahead).
type progress struct {
	rows, bytes atomic.Int64
	summary     string // what the final line says was moved; set by the job

	w        io.Writer
	what     string // "import t"
	total    int64  // bytes, or -1 when not known
	start    time.Time
	bar      *progressbar.ProgressBar
	stop     chan struct{}
	done     sync.WaitGroup
	finished bool
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// newProgress starts reporting. mode is auto, bar, lines or none.
func newProgress(w io.Writer, what string, total int64, mode string, interval time.Duration) *progress {
	p := &progress{w: w, what: what, total: total, start: time.Now(), stop: make(chan struct{})}
	if mode == "auto" {
		mode = "lines"
		if isTerminal(w) {
			mode = "bar"
		}
	}
	switch mode {
	case "none":
		return p
	case "bar":
		p.bar = progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription(what),
			progressbar.OptionShowBytes(true),
			progressbar.OptionUseIECUnits(true),
			progressbar.OptionSetPredictTime(total > 0),
			progressbar.OptionSetElapsedTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionSetWidth(30),
			progressbar.OptionClearOnFinish(),
		)
		interval = 200 * time.Millisecond
	}
	p.done.Add(1)
	go func() {
		defer p.done.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				p.report()
			}
		}
	}()
	return p
}

// report shows the progress so far.
func (p *progress) report() {
	rows, b := p.rows.Load(), p.bytes.Load()
	secs := time.Since(p.start).Seconds()
	if p.bar != nil && rows == 0 && b == 0 {
		p.bar.Describe(p.what + ": running")
		return
	}
	if p.bar != nil {
		p.bar.Describe(fmt.Sprintf("%s: %d rows, %.0f rows/s", p.what, rows, float64(rows)/secs))
		p.bar.Set64(b)
		return
	}
	if rows == 0 && b == 0 {
		// A server-side export says nothing until it is done.
		fmt.Fprintf(p.w, "%s: running, %s\n", p.what, time.Since(p.start).Round(time.Second))
		return
	}
	line := fmt.Sprintf("%s: %d rows, %s, %.0f rows/s", p.what, rows, mibs(b), float64(rows)/secs)
	switch {
	case p.total > 0 && b >= p.total:
		line += ", all read, writing"
	case p.total > 0 && b > 0:
		left := time.Duration(float64(p.total-b) / (float64(b) / secs) * float64(time.Second))
		line += fmt.Sprintf(", eta %s", left.Round(time.Second))
	}
	fmt.Fprintln(p.w, line)
}

// fileDone marks the end of one file of an import, whose rows are now exact.
func (p *progress) fileDone(rows int64) { p.rows.Store(rows) }

// finish stops the reports and, if ok, writes the summary line.
func (p *progress) finish(ok bool) {
	if p.finished {
		return
	}
	p.finished = true
	if p.stop != nil {
		close(p.stop)
		p.done.Wait()
	}
	if p.bar != nil {
		p.bar.Exit()
		fmt.Fprintln(p.w)
	}
	if !ok || p.w == nil {
		return
	}
	secs := time.Since(p.start).Seconds()
	rows := p.rows.Load()
	summary := p.summary
	if summary == "" {
		summary = fmt.Sprintf("%d rows", rows)
	}
	if b := p.bytes.Load(); b > 0 {
		summary += ", " + mibs(b)
	}
	fmt.Fprintf(p.w, "%s: %s in %.1fs, %.0f rows/s\n", p.what, summary, secs, float64(rows)/secs)
}

func mibs(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
