package exec

import (
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
)

// Local times around transitions read back as PostgreSQL's DetermineTimeZoneOffset reads
// them: a skipped time with the offset before, a repeated one with the offset after.
func TestFromLocal(t *testing.T) {
	for _, c := range []struct {
		zone, local, want string
	}{
		{"America/New_York", "2024-03-10 01:59:59", "2024-03-10 06:59:59"},
		{"America/New_York", "2024-03-10 02:00:00", "2024-03-10 07:00:00"},
		{"America/New_York", "2024-03-10 03:00:00", "2024-03-10 07:00:00"},
		{"America/New_York", "2024-11-03 00:59:59", "2024-11-03 04:59:59"},
		{"America/New_York", "2024-11-03 01:00:00", "2024-11-03 06:00:00"},
		{"America/New_York", "2024-11-03 02:00:00", "2024-11-03 07:00:00"},
		{"Australia/Lord_Howe", "2024-10-06 02:15:00", "2024-10-05 15:45:00"},
		{"Asia/Kolkata", "2024-07-01 05:30:00", "2024-07-01 00:00:00"},
	} {
		loc, err := time.LoadLocation(c.zone)
		if err != nil {
			t.Fatal(err)
		}
		v, err := parseText(c.local, tsType)
		if err != nil {
			t.Fatal(err)
		}
		got := formatTimestamp(fromLocal(loc, int64(v.(arrow.Timestamp))), nil)
		if got != c.want {
			t.Errorf("%s in %s: %s UTC, want %s", c.local, c.zone, got, c.want)
		}
	}
}

var tsType arrow.DataType = &arrow.TimestampType{Unit: arrow.Microsecond}
