package types

import (
	"math/rand"
	"testing"
)

// pgTimeTZCmp is PostgreSQL's timetz_cmp_internal: by the time in UTC, then by the zone
// (seconds west of UTC).
func pgTimeTZCmp(t1 int64, z1 int32, t2 int64, z2 int32) int {
	u1, u2 := t1+int64(z1)*1_000_000, t2+int64(z2)*1_000_000
	switch {
	case u1 < u2:
		return -1
	case u1 > u2:
		return 1
	case z1 < z2:
		return -1
	case z1 > z2:
		return 1
	}
	return 0
}

// TestPackTimeTZOrder checks that packed timetz values unpack to what was packed and that
// their integer order is PostgreSQL's timetz order, at the bounds and at random.
func TestPackTimeTZOrder(t *testing.T) {
	times := []int64{0, 1, 3_600_000_000, MicrosPerDay - 1, MicrosPerDay}
	zones := []int32{-TZDispLimit, -3600, -1, 0, 1, 3600, 19800, TZDispLimit}
	r := rand.New(rand.NewSource(1))
	for range 200 {
		times = append(times, r.Int63n(MicrosPerDay+1))
		zones = append(zones, int32(r.Intn(2*TZDispLimit+1))-TZDispLimit)
	}
	for i, t1 := range times {
		for j, z1 := range zones {
			p1 := PackTimeTZ(t1, z1)
			if us, z := UnpackTimeTZ(p1); us != t1 || z != z1 {
				t.Fatalf("UnpackTimeTZ(PackTimeTZ(%d, %d)) = %d, %d", t1, z1, us, z)
			}
			if p1 < 0 {
				t.Fatalf("PackTimeTZ(%d, %d) = %d < 0", t1, z1, p1)
			}
			t2, z2 := times[(i*7+j)%len(times)], zones[(i+j*3)%len(zones)]
			p2 := PackTimeTZ(t2, z2)
			got := 0
			if p1 < p2 {
				got = -1
			} else if p1 > p2 {
				got = 1
			}
			if want := pgTimeTZCmp(t1, z1, t2, z2); got != want {
				t.Errorf("(%d, %d) vs (%d, %d): packed order %d, PostgreSQL's %d", t1, z1, t2, z2, got, want)
			}
		}
	}
}

// TestTimeTZText checks timetz_out's forms of the offset and the input forms read.
func TestTimeTZText(t *testing.T) {
	for _, tc := range []struct {
		in, out string
	}{
		{"04:05:06-08", "04:05:06-08"},
		{"04:05:06.5+05:30", "04:05:06.5+05:30"},
		{"040506+0130", "04:05:06+01:30"},
		{"01:02:03-15:59:59", "01:02:03-15:59:59"},
		{"24:00:00+02", "24:00:00+02"},
		{"10:00z", "10:00:00+00"},
		{"4:05 pm -3", "16:05:00-03"},
	} {
		p, err := ParseTimeTZText(tc.in)
		if err != nil || !p.HasZone {
			t.Errorf("ParseTimeTZText(%q) = %+v, %v", tc.in, p, err)
			continue
		}
		if got := FormatTimeTZ(PackTimeTZ(p.Micros, p.Zone)); got != tc.out {
			t.Errorf("%q reads back as %q, want %q", tc.in, got, tc.out)
		}
	}
	if p, err := ParseTimeTZText("2003-04-12 04:05:06 America/New_York"); err != nil || p.ZoneName != "america/new_york" || !p.HasDate() || p.Year != 2003 {
		t.Errorf("a named zone with a date: %+v, %v", p, err)
	}
	for _, bad := range []string{"abc", "12:00+16", "12:00+01:60", "25:00+01", "12:00 +01 +02"} {
		if _, err := ParseTimeTZText(bad); err == nil {
			t.Errorf("ParseTimeTZText(%q) succeeded", bad)
		}
	}
}
