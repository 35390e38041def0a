package exec

import "context"

// TypeNames names the types a database defines (composite types and their array types) by
// OID, for format_type; ok is false for other OIDs.
type TypeNames func(oid uint32) (name string, ok bool)

type typeNamesKey struct{}

// WithTypeNames gives ctx the names of the database's own types.
func WithTypeNames(ctx context.Context, f TypeNames) context.Context {
	return context.WithValue(ctx, typeNamesKey{}, f)
}

// typeNamesOf returns the TypeNames of ctx, or nil.
func typeNamesOf(ctx context.Context) TypeNames {
	f, _ := ctx.Value(typeNamesKey{}).(TypeNames)
	return f
}
