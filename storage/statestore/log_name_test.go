package statestore

import (
	"fmt"
	"math"
	"testing"

	"github.com/sleeperd/sleeperd/storage/objstore"
)

func TestLogName(t *testing.T) {
	l, err := NewLog(objstore.NewMem(), "tables/x/log/")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []uint64{0, 1, 9, 10, 12345, math.MaxUint64} {
		if got, want := l.Name(n), fmt.Sprintf("tables/x/log/%020d.json", n); got != want {
			t.Errorf("Name(%d) = %q, want %q", n, got, want)
		}
	}
}
