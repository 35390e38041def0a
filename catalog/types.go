package catalog

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/types"
)

// FormatType is types.Format.
func FormatType(t arrow.DataType) string { return types.Format(t) }

// ParseType is types.Parse.
func ParseType(s string) (arrow.DataType, error) {
	t, err := types.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	return t, nil
}
