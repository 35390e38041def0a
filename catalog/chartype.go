package catalog

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/types"
)

// CharType is types.Char, until its callers use it.
type CharType = types.Char

// Varchar is types.Varchar.
func Varchar(n int32) *CharType { return types.Varchar(n) }

// Bpchar is types.Bpchar.
func Bpchar(n int32) *CharType { return types.Bpchar(n) }

// StorageType is types.Storage.
func StorageType(t arrow.DataType) arrow.DataType { return types.Storage(t) }
