package types

import (
	"github.com/apache/arrow-go/v18/arrow"
)

// Reg is the type of PostgreSQL's object identifier aliases regclass, regtype, regproc,
// regnamespace, regrole, regprocedure, regoper and regoperator: an OID held as int64 (as oid is here), so integer kernels, builders
// and comparisons handle its values as bigint, which is shown by the name of the object it
// identifies. Its text needs the catalog (PostgreSQL's regclassout looks the relation up): the
// frontends name the OIDs of a result through the engine when they write its text; an OID
// nothing has is shown as its number, as PostgreSQL shows it. Its binary form is the OID as
// uint32, as oid's.
//
// Like Char, it is a SQL type over a storage type (arrow.PrimitiveTypes.Int64): result fields
// carry it in their metadata (SQLMetadata); its ID is Arrow's INT64.
type Reg struct {
	arrow.Int64Type
	name string
	oid  uint32
}

// The object identifier alias types.
var (
	RegClass     = &Reg{name: "regclass", oid: OIDRegClass}
	RegType      = &Reg{name: "regtype", oid: OIDRegType}
	RegProc      = &Reg{name: "regproc", oid: OIDRegProc}
	RegNamespace = &Reg{name: "regnamespace", oid: OIDRegNamespace}
	RegRole      = &Reg{name: "regrole", oid: OIDRegRole}
	RegProcedure = &Reg{name: "regprocedure", oid: OIDRegProcedure}
	RegOper      = &Reg{name: "regoper", oid: OIDRegOper}
	RegOperator  = &Reg{name: "regoperator", oid: OIDRegOperator}
)

// OIDs of the object identifier alias types and their array types (pg_type).
const (
	OIDRegProc           uint32 = 24
	OIDRegClass          uint32 = 2205
	OIDRegType           uint32 = 2206
	OIDRegNamespace      uint32 = 4089
	OIDRegRole           uint32 = 4096
	OIDRegProcArray      uint32 = 1008
	OIDRegClassArray     uint32 = 2210
	OIDRegTypeArray      uint32 = 2211
	OIDRegNamespaceArray uint32 = 4090
	OIDRegRoleArray      uint32 = 4097
	OIDRegProcedure      uint32 = 2202
	OIDRegOper           uint32 = 2203
	OIDRegOperator       uint32 = 2204
	OIDRegProcedureArray uint32 = 2207
	OIDRegOperArray      uint32 = 2208
	OIDRegOperatorArray  uint32 = 2209
)

var regTypes = []*Reg{RegClass, RegType, RegProc, RegNamespace, RegRole, RegProcedure, RegOper, RegOperator}

// regArrays are the OIDs of the array types of the object identifier alias types, which
// regtype output names and arrays of these types are sent as (arrayPGType, FieldPGType).
var regArrays = map[uint32]uint32{OIDRegProcArray: OIDRegProc, OIDRegClassArray: OIDRegClass,
	OIDRegTypeArray: OIDRegType, OIDRegNamespaceArray: OIDRegNamespace, OIDRegRoleArray: OIDRegRole,
	OIDRegProcedureArray: OIDRegProcedure, OIDRegOperArray: OIDRegOper, OIDRegOperatorArray: OIDRegOperator}

// RegByName is the object identifier alias type named name (regclass, regtype, regproc,
// regnamespace, regrole, regprocedure, regoper, regoperator), or nil.
func RegByName(name string) *Reg {
	for _, r := range regTypes {
		if r.name == name {
			return r
		}
	}
	return nil
}

// RegOf is the object identifier alias type whose OID is oid, or nil.
func RegOf(oid uint32) *Reg {
	for _, r := range regTypes {
		if r.oid == oid {
			return r
		}
	}
	return nil
}

// Name is the type's name: regclass, regtype...
func (t *Reg) Name() string { return t.name }

// String is the PostgreSQL name of the type.
func (t *Reg) String() string { return t.name }

// OID is the type's OID.
func (t *Reg) OID() uint32 { return t.oid }

// IsReg reports whether t is an object identifier alias type.
func IsReg(t arrow.DataType) bool { _, ok := t.(*Reg); return ok }

// AsReg is t as an object identifier alias type, or nil.
func AsReg(t arrow.DataType) *Reg { r, _ := t.(*Reg); return r }

// FieldReg is the object identifier alias type of a result field (its metadata names it,
// SQLMetadata), or nil.
func FieldReg(f arrow.Field) *Reg {
	if r, ok := f.Type.(*Reg); ok {
		return r
	}
	if i := f.Metadata.FindKey(SQLTypeKey); i >= 0 {
		return RegByName(f.Metadata.Values()[i])
	}
	return nil
}

// FieldRegArray is the element type of a result field that is an array of an object identifier
// alias type (regclass[]...: a list of them, or a list of int64 whose metadata names it,
// SQLMetadata), or nil.
func FieldRegArray(f arrow.Field) *Reg {
	lt, ok := f.Type.(*arrow.ListType)
	if !ok {
		return nil
	}
	if r, ok := lt.Elem().(*Reg); ok {
		return r
	}
	if i := f.Metadata.FindKey(SQLTypeKey); i >= 0 {
		if n := f.Metadata.Values()[i]; len(n) > 1 && n[0] == '_' {
			return RegByName(n[1:])
		}
	}
	return nil
}

// RegNames names the object whose OID is oid as a value of t shows it (a relation's name,
// qualified when it is not in the search path; a type's as format_type writes it); ok is
// false for an OID nothing has, which is shown as its number.
type RegNames func(t *Reg, oid int64) (name string, ok bool)

// RegtypeName is the name regtype output gives the OID of a type where it differs from
// format_type's without a modifier: bpchar is character; the object identifier alias types
// and their arrays by their names. ok is false for other OIDs.
func RegtypeName(oid uint32) (string, bool) {
	suffix := ""
	if e, ok := elemOIDs[oid]; ok {
		oid, suffix = e, "[]"
	} else if e, ok := regArrays[oid]; ok {
		oid, suffix = e, "[]"
	}
	if oid == OIDBpchar {
		return "character" + suffix, true
	}
	if r := RegOf(oid); r != nil {
		return r.name + suffix, true
	}
	return "", false
}

// RegArrayOID is the OID of the array type of oid when oid is bpchar or an object identifier
// alias type, as regtype output names it; 0 for others.
func RegArrayOID(oid uint32) uint32 {
	if oid == OIDBpchar {
		return arrayOIDs[oid]
	}
	for a, e := range regArrays {
		if e == oid {
			return a
		}
	}
	return 0
}

// RegOfArray is the object identifier alias type whose array type's OID is oid (regclass for
// regclass[], 2210), or nil.
func RegOfArray(oid uint32) *Reg {
	if e, ok := regArrays[oid]; ok {
		return RegOf(e)
	}
	return nil
}
