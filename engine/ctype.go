package engine

import (
	"context"
	"errors"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/planner"
)

// executeTypeDDL runs CREATE TYPE and DROP TYPE; false for any other statement.
func (e *Engine) executeTypeDDL(ctx context.Context, st planner.Statement) (Result, bool, error) {
	switch s := st.(type) {
	case *planner.CreateType:
		if _, err := e.cat.CreateType(ctx, s.Name, s.Fields); err != nil {
			return nil, true, err
		}
		return &doneResult{tag: "CREATE TYPE"}, true, nil
	case *planner.DropType:
		res := &doneResult{tag: "DROP TYPE"}
		for _, name := range s.Names {
			if err := e.cat.DropType(ctx, name); err != nil {
				if errors.Is(err, errs.UndefinedObject) && s.IfExists {
					res.notices = append(res.notices, notice("00000", "type %q does not exist, skipping", name))
					continue
				}
				return nil, true, err
			}
		}
		return res, true, nil
	}
	return nil, false, nil
}

// undoCreateType drops the composite type a block created, should the block roll back.
func undoCreateType(e *Engine, name string) ddlUndo {
	return func(ctx context.Context) error {
		if err := e.cat.DropType(ctx, name); err != nil && !errors.Is(err, errs.UndefinedObject) {
			return err
		}
		return nil
	}
}
