package catalog

import (
	"errors"
	"testing"

	"github.com/sleeperd/sleeperd/errs"
)

// TestValuePageSize checks the value_page_size property: it sets the page size of the
// columns other than the row keys, and only a positive integer is accepted.
func TestValuePageSize(t *testing.T) {
	p, err := parseProperties(map[string]string{"page_size": "1024", "value_page_size": "4096"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Parquet.PageBytes != 1024 || p.Parquet.ValuePageBytes != 4096 {
		t.Errorf("page bytes %d, value page bytes %d; want 1024 and 4096", p.Parquet.PageBytes, p.Parquet.ValuePageBytes)
	}
	if p, err = parseProperties(nil); err != nil || p.Parquet.ValuePageBytes != 0 {
		t.Errorf("default value page bytes %d (%v), want 0 (the writer's default)", p.Parquet.ValuePageBytes, err)
	}
	for _, bad := range []string{"0", "-1", "big"} {
		_, err := parseProperties(map[string]string{"value_page_size": bad})
		if !errors.Is(err, errs.InvalidParameter) {
			t.Errorf("value_page_size = %q: %v, want an invalid parameter error", bad, err)
		}
	}
}
