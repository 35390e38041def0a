package merge

import (
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
)

// TestSharedConstants: the one-row version columns files without a version column share
// hold their file's version whichever sessions ask at once, also while the map of them
// starts anew (more versions than sharedVersionsMax), and survive their readers' Release.
func TestSharedConstants(t *testing.T) {
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 3 * sharedVersionsMax {
				v := int64((i*7 + g*13) % (2 * sharedVersionsMax))
				a := sharedVersion(v)
				if a.Len() != 1 || a.(*array.Int64).Value(0) != v {
					t.Errorf("sharedVersion(%d) = %v", v, a)
					a.Release()
					return
				}
				a.Release()
				f := sharedFalse()
				if f.Len() != 1 || f.(*array.Boolean).Value(0) || f.NullN() != 0 {
					t.Errorf("sharedFalse() = %v", f)
				}
				f.Release()
			}
		}()
	}
	wg.Wait()
}
