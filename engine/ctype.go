package engine

import (
	"context"
	"errors"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/planner"
)

// executeTypeDDL runs CREATE TYPE, ALTER TYPE and DROP TYPE; false for any other statement.
func (e *Engine) executeTypeDDL(ctx context.Context, st planner.Statement) (Result, bool, error) {
	switch s := st.(type) {
	case *planner.CreateType:
		if _, err := e.cat.CreateType(ctx, s.Name, s.Fields); err != nil {
			return nil, true, err
		}
		return &doneResult{tag: "CREATE TYPE"}, true, nil
	case *planner.AlterType:
		if err := e.foldTypeDeletes(ctx, s.Name); err != nil {
			return nil, true, err
		}
		if err := e.cat.AlterType(ctx, s.Name, func(fields []arrow.Field) ([]arrow.Field, []int, error) {
			return alterFields(s.Name, fields, s.Cmds)
		}); err != nil {
			return nil, true, err
		}
		return &doneResult{tag: "ALTER TYPE"}, true, nil
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

// foldTypeDeletes folds the delete predicates that test a table column of the composite
// type name into the table's files (foldDeletes) before ALTER TYPE changes the type: a
// predicate tests the records in the shape they had when it was made.
func (e *Engine) foldTypeDeletes(ctx context.Context, name string) error {
	tables, err := e.cat.Tables(ctx)
	if err != nil {
		return err
	}
	for _, t := range tables {
		for _, c := range t.Columns {
			if c.TypeName == name {
				if err := e.foldDeletes(ctx, t, c.Name); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// alterFields applies ALTER TYPE's commands to the fields of the composite type name, and
// returns for each new field the index of the field it was (-1 for an added one).
func alterFields(name string, fields []arrow.Field, cmds []planner.AlterTypeCmd) ([]arrow.Field, []int, error) {
	from := make([]int, len(fields))
	for i := range from {
		from[i] = i
	}
	find := func(f string) int {
		for i, g := range fields {
			if g.Name == f {
				return i
			}
		}
		return -1
	}
	for _, c := range cmds {
		switch {
		case c.Add != nil:
			if find(c.Add.Name) >= 0 {
				return nil, nil, errs.New(errs.DuplicateColumn, "column \"%s\" of relation \"%s\" already exists", c.Add.Name, name)
			}
			fields = append(fields, *c.Add)
			from = append(from, -1)
		case c.Drop:
			i := find(c.Field)
			if i < 0 {
				if c.IfExists {
					continue
				}
				return nil, nil, errs.New(errs.UndefinedColumn, "column \"%s\" of relation \"%s\" does not exist", c.Field, name)
			}
			fields = append(fields[:i:i], fields[i+1:]...)
			from = append(from[:i:i], from[i+1:]...)
		default:
			i := find(c.Field)
			if i < 0 {
				return nil, nil, errs.New(errs.UndefinedColumn, "column \"%s\" does not exist", c.Field)
			}
			if find(c.NewName) >= 0 {
				return nil, nil, errs.New(errs.DuplicateColumn, "column \"%s\" of relation \"%s\" already exists", c.NewName, name)
			}
			fields[i].Name = c.NewName
		}
	}
	return fields, from, nil
}
