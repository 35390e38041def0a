package engine

import "github.com/apache/arrow-go/v18/arrow"

// SetCastFlatHook makes f run at the start of every cast between flat types of imported
// or ingested data (nil for none).
func SetCastFlatHook(f func(from, to arrow.DataType)) {
	if f == nil {
		castFlatHook.Store(nil)
		return
	}
	castFlatHook.Store(&f)
}
