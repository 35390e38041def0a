package main

import (
	"fmt"
	"strconv"
	"strings"
)

// byteSize is a flag value holding a number of bytes, written as a plain number or with a
// unit: 256MiB, 1GiB, 512kB (units of 1000 and 1024, as PostgreSQL's memory settings take
// kB, MB and GB as powers of 1024, so do kB, MB, GB and TB here).
type byteSize int64

var sizeUnits = []struct {
	suffix string
	mult   int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"kB", 1 << 10}, {"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"TB", 1 << 40},
	{"B", 1},
}

func (s *byteSize) String() string { return strconv.FormatInt(int64(*s), 10) }

func (s *byteSize) Set(v string) error {
	n, err := parseByteSize(v)
	if err != nil {
		return err
	}
	*s = byteSize(n)
	return nil
}

// parseByteSize parses a number of bytes with an optional unit.
func parseByteSize(v string) (int64, error) {
	t := strings.TrimSpace(v)
	mult := int64(1)
	for _, u := range sizeUnits {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 || (mult > 1 && n > (1<<62)/mult) {
		return 0, fmt.Errorf("invalid size %q: want a number of bytes, optionally with a unit (kB, MB, GB, TB, KiB, MiB, GiB, TiB)", v)
	}
	return n * mult, nil
}
