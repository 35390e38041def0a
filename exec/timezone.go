package exec

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sleeperd/sleeperd/errs"
)

// WithTimeZone returns a context whose session time zone is loc (UTC when loc is nil).
// timestamptz values stay UTC instants; the zone affects how they are read and written as
// text and how they convert to and from local date/time values.
func WithTimeZone(ctx context.Context, loc *time.Location) context.Context {
	if loc == nil {
		loc = time.UTC
	}
	return with(ctx, func(v *ctxValues) { v.st.TimeZone = loc })
}

// TimeZone is the session time zone carried by ctx, UTC when there is none.
func TimeZone(ctx context.Context) *time.Location {
	if v := valuesOf(ctx); v != nil && v.st.TimeZone != nil {
		return v.st.TimeZone
	}
	return time.UTC
}

// offsetAt is loc's offset from UTC, in seconds east, at the instant us (microseconds since
// 1970-01-01 UTC).
func offsetAt(loc *time.Location, us int64) int64 {
	if loc == time.UTC {
		return 0
	}
	_, off := time.Unix(floorDiv(us, usPerSec), 0).In(loc).Zone()
	return int64(off)
}

// toLocal is the wall-clock time in loc of the instant us, as microseconds since
// 1970-01-01 00:00 of that wall clock.
func toLocal(loc *time.Location, us int64) int64 {
	return us + offsetAt(loc, us)*usPerSec
}

// fromLocal is the instant of the wall-clock time local (microseconds since 1970-01-01
// 00:00) in loc, with PostgreSQL's rule for the times a transition skips or repeats: a
// skipped time is read with the offset before the transition, a repeated one with the offset
// after it (either way the later of the two instants).
func fromLocal(loc *time.Location, local int64) int64 {
	if loc == time.UTC {
		return local
	}
	return local - localOffset(loc, local)*usPerSec
}

// localOffset is the offset, in seconds east, fromLocal applies to the wall-clock time local.
func localOffset(loc *time.Location, local int64) int64 {
	// As PostgreSQL's DetermineTimeZoneOffset: find the first transition after a day before,
	// then see on which side of it the two readings fall.
	secs := floorDiv(local, usPerSec)
	prev := time.Unix(secs-86400, 0).In(loc)
	_, before := prev.Zone()
	_, end := prev.ZoneBounds()
	if end.IsZero() {
		return int64(before)
	}
	_, after := end.Zone()
	boundary := end.Unix()
	bt, at := secs-int64(before), secs-int64(after)
	switch {
	case bt < boundary && at < boundary:
		return int64(before)
	case bt > boundary && at >= boundary:
		return int64(after)
	case bt > at:
		return int64(before)
	}
	return int64(after)
}

// formatOffset writes an offset in seconds east as PostgreSQL prints it after a time:
// "+00", "-04", "+05:30", "-04:56:02".
func formatOffset(secs int64) string {
	sign := byte('+')
	if secs < 0 {
		sign, secs = '-', -secs
	}
	b := []byte{sign, byte('0' + secs/36000), byte('0' + secs/3600%10)}
	if m, s := secs/60%60, secs%60; m != 0 || s != 0 {
		b = append(b, ':', byte('0'+m/10), byte('0'+m%10))
		if s != 0 {
			b = append(b, ':', byte('0'+s/10), byte('0'+s%10))
		}
	}
	return string(b)
}

// zoneAbbrevs are the fixed-offset abbreviations of PostgreSQL's Default set that zone
// arguments and date/time strings accept, in seconds east of UTC.
var zoneAbbrevs = map[string]int{
	"UTC": 0, "UT": 0, "GMT": 0, "Z": 0, "ZULU": 0, "WET": 0,
	"EST": -5 * 3600, "EDT": -4 * 3600, "CST": -6 * 3600, "CDT": -5 * 3600,
	"MST": -7 * 3600, "MDT": -6 * 3600, "PST": -8 * 3600, "PDT": -7 * 3600,
	"AKST": -9 * 3600, "AKDT": -8 * 3600, "HST": -10 * 3600, "AST": -4 * 3600,
	"ADT": -3 * 3600, "NST": -3*3600 - 1800, "NDT": -2*3600 - 1800, "ART": -3 * 3600,
	"BRT": -3 * 3600, "CLT": -3 * 3600, "CET": 3600, "MET": 3600, "WEST": 3600,
	"BST": 3600, "WAT": 3600, "CEST": 2 * 3600, "MEST": 2 * 3600, "EET": 2 * 3600,
	"IST": 2 * 3600, "SAST": 2 * 3600, "EEST": 3 * 3600, "MSK": 3 * 3600, "EAT": 3 * 3600,
	"PKT": 5 * 3600, "NPT": 5*3600 + 2700, "ICT": 7 * 3600, "AWST": 8 * 3600,
	"HKT": 8 * 3600, "SGT": 8 * 3600, "PHT": 8 * 3600, "JST": 9 * 3600, "KST": 9 * 3600,
	"ACST": 9*3600 + 1800, "AEST": 10 * 3600, "ACDT": 10*3600 + 1800, "AEDT": 11 * 3600,
	"NZST": 12 * 3600, "NZDT": 13 * 3600,
}

// posixZone matches a POSIX zone without daylight-saving rules: an optional name, then
// the offset, positive west of Greenwich ("UTC+3", "<-03>3", "+05:30", "5").
var posixZone = regexp.MustCompile(`^(?:[A-Za-z]{3,}|<[-+0-9A-Za-z]+>)?([-+]?)([0-9]{1,2})(?::([0-9]{2}))?(?::([0-9]{2}))?$`)

var (
	zoneIndexOnce sync.Once
	zoneIndex     map[string]string // lower-case tz database name -> its spelling
)

// zoneDirs are where the tz database is looked for when a zone name is given in another case.
var zoneDirs = []string{"/usr/share/zoneinfo", "/usr/share/lib/zoneinfo", "/usr/lib/locale/TZ"}

// zoneSpelling is the tz database's spelling of a zone name given in any case.
func zoneSpelling(name string) (string, bool) {
	zoneIndexOnce.Do(func() {
		zoneIndex = map[string]string{}
		dirs := zoneDirs
		if d := os.Getenv("ZONEINFO"); d != "" {
			dirs = append([]string{d}, dirs...)
		}
		for _, dir := range dirs {
			_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return nil
				}
				if rel, err := filepath.Rel(dir, p); err == nil {
					rel = filepath.ToSlash(rel)
					if _, ok := zoneIndex[strings.ToLower(rel)]; !ok {
						zoneIndex[strings.ToLower(rel)] = rel
					}
				}
				return nil
			})
		}
	})
	n, ok := zoneIndex[strings.ToLower(name)]
	return n, ok
}

// parseZone resolves a time zone as PostgreSQL's AT TIME ZONE does: a fixed-offset
// abbreviation (EST, CET), a tz database name in any case (America/New_York), or a POSIX
// zone, whose offset counts hours west ("UTC+3" and "+03" are three hours behind UTC).
func parseZone(name string) (*time.Location, error) {
	s := strings.TrimSpace(name)
	if off, ok := zoneAbbrevs[strings.ToUpper(s)]; ok {
		if off == 0 {
			return time.UTC, nil
		}
		return time.FixedZone(strings.ToUpper(s), off), nil
	}
	valid := s != "" && !strings.Contains(s, "..") && !strings.HasPrefix(s, "/") && !strings.HasPrefix(s, "<")
	if valid {
		if loc, err := time.LoadLocation(s); err == nil {
			return loc, nil
		}
		if n, ok := zoneSpelling(s); ok {
			if loc, err := time.LoadLocation(n); err == nil {
				return loc, nil
			}
		}
	}
	if m := posixZone.FindStringSubmatch(s); m != nil {
		num := func(p string) int {
			v, _ := strconv.Atoi(p) // "" is 0
			return v
		}
		h, mi, sec := num(m[2]), num(m[3]), num(m[4])
		off := h*3600 + mi*60 + sec
		if m[1] != "-" {
			off = -off
		}
		if h <= 24 && mi < 60 && sec < 60 {
			return time.FixedZone(formatOffset(int64(off)), off), nil
		}
	}
	return nil, errs.New(errs.InvalidParameter, "time zone %q not recognized", name)
}
