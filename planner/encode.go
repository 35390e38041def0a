package planner

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/sleeperd/sleeperd/types"
)

// exprJSON is the stored form of a bound expression over one table's columns: delete
// predicates live in the state store this way, so that reads and compaction can compile them
// long after the statement that wrote them.
type exprJSON struct {
	K      string      `json:"k"`
	Column string      `json:"col,omitempty"`
	Type   string      `json:"type,omitempty"`
	Value  any         `json:"v,omitempty"`
	Null   bool        `json:"null,omitempty"`
	Op     int         `json:"op,omitempty"`
	Negate bool        `json:"neg,omitempty"`
	Name   string      `json:"name,omitempty"`
	Args   []*exprJSON `json:"args,omitempty"`
	Else   *exprJSON   `json:"else,omitempty"`
	N      int         `json:"n,omitempty"`
}

// EncodeExpr serialises an expression whose column references name columns of a table.
func EncodeExpr(e Expr) ([]byte, error) {
	j, err := toExprJSON(e)
	if err != nil {
		return nil, err
	}
	return json.Marshal(j)
}

func toExprJSON(e Expr) (*exprJSON, error) {
	if e == nil {
		return nil, nil
	}
	var args []*exprJSON
	for _, c := range Children(e) {
		cj, err := toExprJSON(c)
		if err != nil {
			return nil, err
		}
		args = append(args, cj)
	}
	typ := types.Format(e.Type())
	switch x := e.(type) {
	case *ColumnRef:
		return &exprJSON{K: "col", Column: x.Name, Type: typ}, nil
	case *Literal:
		if x.Value == nil {
			return &exprJSON{K: "lit", Type: typ, Null: true}, nil
		}
		v, err := literalJSON(x.Value)
		if err != nil {
			return nil, err
		}
		return &exprJSON{K: "lit", Type: typ, Value: v}, nil
	case *Binary:
		return &exprJSON{K: "bin", Op: int(x.Op), Type: typ, Args: args}, nil
	case *Not:
		return &exprJSON{K: "not", Args: args}, nil
	case *IsNull:
		return &exprJSON{K: "isnull", Negate: x.Negate, Args: args}, nil
	case *InList:
		return &exprJSON{K: "in", Negate: x.Negate, Args: args}, nil
	case *Cast:
		return &exprJSON{K: "cast", Type: typ, Args: args}, nil
	case *Func:
		return &exprJSON{K: "func", Name: x.Name, Type: typ, Args: args}, nil
	case *Coalesce:
		return &exprJSON{K: "coalesce", Type: typ, Args: args}, nil
	case *Case:
		return &exprJSON{K: "case", Type: typ, N: len(x.Whens), Args: args, Else: nil}, nil
	}
	return nil, fmt.Errorf("planner: cannot encode %T", e)
}

// literalJSON renders a literal value as text that literalValue parses back exactly.
func literalJSON(v any) (any, error) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case string:
		return x, nil
	case int16:
		return strconv.FormatInt(int64(x), 10), nil
	case int32:
		return strconv.FormatInt(int64(x), 10), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32), nil
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), nil
	case []byte:
		return base64.StdEncoding.EncodeToString(x), nil
	case decimal128.Num:
		return strconv.FormatUint(uint64(x.HighBits()), 10) + ":" + strconv.FormatUint(x.LowBits(), 10), nil
	case arrow.Date32:
		return strconv.FormatInt(int64(x), 10), nil
	case arrow.Timestamp:
		return strconv.FormatInt(int64(x), 10), nil
	case arrow.MonthDayNanoInterval:
		return fmt.Sprintf("%d:%d:%d", x.Months, x.Days, x.Nanoseconds), nil
	}
	return nil, fmt.Errorf("planner: cannot encode literal %T", v)
}

// DecodeExpr rebuilds an encoded expression, resolving column names with cols.
func DecodeExpr(data []byte, cols func(name string) (ColumnRef, bool)) (Expr, error) {
	var j exprJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, fmt.Errorf("planner: decoding expression: %w", err)
	}
	return fromExprJSON(&j, cols)
}

func fromExprJSON(j *exprJSON, cols func(string) (ColumnRef, bool)) (Expr, error) {
	if j == nil {
		return nil, nil
	}
	var typ arrow.DataType
	if j.Type != "" {
		t, err := types.Parse(j.Type)
		if err != nil {
			return nil, err
		}
		typ = t
	}
	args := make([]Expr, len(j.Args))
	for i, a := range j.Args {
		e, err := fromExprJSON(a, cols)
		if err != nil {
			return nil, err
		}
		args[i] = e
	}
	switch j.K {
	case "col":
		c, ok := cols(j.Column)
		if !ok {
			return nil, fmt.Errorf("planner: column %q no longer exists", j.Column)
		}
		return &c, nil
	case "lit":
		if j.Null {
			return &Literal{Typ: typ}, nil
		}
		v, err := literalValue(j.Value, typ)
		if err != nil {
			return nil, err
		}
		return &Literal{Value: v, Typ: typ}, nil
	case "bin":
		return &Binary{Op: Op(j.Op), L: args[0], R: args[1], Typ: typ}, nil
	case "not":
		return &Not{E: args[0]}, nil
	case "isnull":
		return &IsNull{E: args[0], Negate: j.Negate}, nil
	case "in":
		return &InList{E: args[0], List: args[1:], Negate: j.Negate}, nil
	case "cast":
		return &Cast{E: args[0], To: typ}, nil
	case "func":
		return &Func{Name: j.Name, Args: args, Typ: typ}, nil
	case "coalesce":
		return &Coalesce{Args: args, Typ: typ}, nil
	case "case":
		c := &Case{Whens: args[:j.N], Thens: args[j.N : 2*j.N], Typ: typ}
		if len(args) > 2*j.N {
			c.Else = args[2*j.N]
		}
		return c, nil
	}
	return nil, fmt.Errorf("planner: unknown expression kind %q", j.K)
}

func literalValue(v any, t arrow.DataType) (any, error) {
	if t.ID() == arrow.BOOL {
		if b, ok := v.(bool); ok {
			return b, nil
		}
		return nil, fmt.Errorf("planner: bad boolean literal %v", v)
	}
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("planner: bad literal %v for type %s", v, t)
	}
	var err error
	switch t.ID() {
	case arrow.STRING:
		return s, nil
	case arrow.BINARY:
		return base64.StdEncoding.DecodeString(s)
	case arrow.INT16, arrow.INT32, arrow.INT64, arrow.DATE32, arrow.TIMESTAMP:
		var n int64
		if n, err = strconv.ParseInt(s, 10, 64); err == nil {
			switch t.ID() {
			case arrow.INT16:
				return int16(n), nil
			case arrow.INT32:
				return int32(n), nil
			case arrow.INT64:
				return n, nil
			case arrow.DATE32:
				return arrow.Date32(n), nil
			default:
				return arrow.Timestamp(n), nil
			}
		}
	case arrow.FLOAT32:
		var f float64
		if f, err = strconv.ParseFloat(s, 32); err == nil {
			return float32(f), nil
		}
	case arrow.FLOAT64:
		var f float64
		if f, err = strconv.ParseFloat(s, 64); err == nil {
			return f, nil
		}
	case arrow.INTERVAL_MONTH_DAY_NANO:
		var m, d int32
		var ns int64
		if _, err = fmt.Sscanf(s, "%d:%d:%d", &m, &d, &ns); err == nil {
			return arrow.MonthDayNanoInterval{Months: m, Days: d, Nanoseconds: ns}, nil
		}
	case arrow.DECIMAL128:
		hi, lo, found := strings.Cut(s, ":")
		if found {
			h, err1 := strconv.ParseUint(hi, 10, 64)
			l, err2 := strconv.ParseUint(lo, 10, 64)
			if err1 == nil && err2 == nil {
				return decimal128.New(int64(h), l), nil
			}
		}
	}
	return nil, fmt.Errorf("planner: bad literal %q for type %s: %v", s, t, err)
}
