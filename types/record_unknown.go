package types

import "github.com/apache/arrow-go/v18/arrow"

// UnknownFieldMetadata is the metadata of a record's field that holds an untyped literal (or
// NULL) as text: the field is of type unknown (705) in the record's binary form, as in
// PostgreSQL. FieldSQLType does not read it: the field's values are text.
func UnknownFieldMetadata() arrow.Metadata {
	return arrow.NewMetadata([]string{SQLTypeKey}, []string{"unknown"})
}
