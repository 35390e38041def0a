package function

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
)

// DefaultUser is the user current_user names where no session is known.
var DefaultUser = "sleeperd"

func registerSettings() {
	text, boolean := arrow.BinaryTypes.String, arrow.FixedWidthTypes.Boolean
	settings := func(ctx context.Context) (exec.SessionSettings, error) {
		s := exec.SettingsOf(ctx)
		if s == nil {
			return nil, errs.New(errs.NotImplemented, "configuration parameters are not available here")
		}
		return s, nil
	}
	// takes resolves an overload of text and boolean parameters (true for boolean).
	takes := func(name string, lists ...[]bool) func([]arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		return func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		next:
			for _, ps := range lists {
				if len(ps) != len(args) {
					continue
				}
				conv := make([]arrow.DataType, len(args))
				for i, isBool := range ps {
					switch {
					case args[i].ID() == arrow.NULL && isBool:
						conv[i] = boolean
					case args[i].ID() == arrow.NULL:
						conv[i] = text
					case isBool && args[i].ID() != arrow.BOOL || !isBool && args[i].ID() != arrow.STRING:
						continue next
					}
				}
				return text, conv, nil
			}
			return nil, nil, undefinedFunc(name, args)
		}
	}
	// current_user, session_user: the session's user. sleeperd has no SET ROLE, so the two
	// are always the same, as in a PostgreSQL session that never changes role.
	register(function{resolve: takes("current_user", []bool{}), evalCtx: func(ctx context.Context, n int, _ arrow.DataType, _ []arrow.Array) (arrow.Array, error) {
		user := DefaultUser
		if s := exec.SettingsOf(ctx); s != nil {
			if u, ok := s.Setting("session_authorization"); ok && u != "" {
				user = u
			}
		}
		b := array.NewStringBuilder(exec.Allocator(ctx))
		defer b.Release()
		for i := 0; i < n; i++ {
			b.Append(user)
		}
		return b.NewArray(), nil
	}}, "current_user", "session_user")
	register(function{resolve: takes("current_setting", []bool{false}, []bool{false, true}), evalCtx: func(ctx context.Context, n int, _ arrow.DataType, args []arrow.Array) (arrow.Array, error) {
		s, err := settings(ctx)
		if err != nil {
			return nil, err
		}
		names := args[0].(*array.String)
		var missingOK *array.Boolean
		if len(args) == 2 {
			missingOK = args[1].(*array.Boolean)
		}
		b := array.NewStringBuilder(exec.Allocator(ctx))
		defer b.Release()
		for i := 0; i < n; i++ {
			if names.IsNull(i) || missingOK != nil && missingOK.IsNull(i) {
				b.AppendNull()
				continue
			}
			v, ok := s.Setting(names.Value(i))
			switch {
			case ok:
				b.Append(v)
			case missingOK != nil && missingOK.Value(i):
				b.AppendNull()
			default:
				return nil, errs.New(errs.UndefinedObject, "unrecognized configuration parameter \"%s\"", names.Value(i))
			}
		}
		return b.NewArray(), nil
	}}, "current_setting")
	// set_config is not strict, as in PostgreSQL: a NULL value resets the parameter, a NULL
	// is_local is false.
	register(function{resolve: takes("set_config", []bool{false, false, true}), evalCtx: func(ctx context.Context, n int, _ arrow.DataType, args []arrow.Array) (arrow.Array, error) {
		s, err := settings(ctx)
		if err != nil {
			return nil, err
		}
		names, vals, local := args[0].(*array.String), args[1].(*array.String), args[2].(*array.Boolean)
		b := array.NewStringBuilder(exec.Allocator(ctx))
		defer b.Release()
		for i := 0; i < n; i++ {
			if names.IsNull(i) {
				return nil, errs.New(errs.NullNotAllowed, "SET requires parameter name")
			}
			var val *string
			if vals.IsValid(i) {
				v := vals.Value(i)
				val = &v
			}
			v, err := s.SetConfig(names.Value(i), val, local.IsValid(i) && local.Value(i))
			if err != nil {
				return nil, err
			}
			b.Append(v)
		}
		return b.NewArray(), nil
	}}, "set_config")
	for _, n := range []string{"current_setting", "set_config", "current_user", "session_user"} {
		volatile[n] = true
	}
}
