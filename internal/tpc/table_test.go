package tpc

import (
	"slices"
	"testing"
)

func TestInserts(t *testing.T) {
	tb := &Table{Name: "t", Columns: []string{"i", "n", "s", "d"}, Kinds: []Kind{Int, Numeric, Text, Date},
		Rows: [][]string{{"1", "2.50", "it's", "2000-01-03"}, {"", "", "", ""}, {"3", "-0.01", "x", "1999-12-31"}}}
	got, err := tb.Inserts(2)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"INSERT INTO t (i, n, s, d) VALUES (1, 2.50, 'it''s', '2000-01-03'), (NULL, NULL, '', NULL)",
		"INSERT INTO t (i, n, s, d) VALUES (3, -0.01, 'x', '1999-12-31')",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if _, err := tb.Inserts(0); err == nil {
		t.Error("Inserts(0): no error")
	}
}

func TestCents(t *testing.T) {
	for c, want := range map[int64]string{0: "0.00", 5: "0.05", 12345: "123.45", -1: "-0.01", -99999: "-999.99"} {
		if got := Cents(c); got != want {
			t.Errorf("Cents(%d) = %q, want %q", c, got, want)
		}
	}
}
