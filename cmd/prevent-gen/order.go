package main

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// Row orders of the completions files (-order). Real exports come sorted
// by whatever the report's author clicked: by course then date, by the
// learner's name, by employee number, or in no order at all. The default
// writes person by person, as generated; it is the order the demo files
// and every earlier benchmark have, and it stays the byte-for-byte output
// of the same flags.
const (
	orderPerson      = "person"
	orderShuffled    = "shuffled"
	orderCourseDate  = "course-date"
	orderLearnerName = "learner-name"
	orderEmployee    = "employee"
)

var rowOrders = []string{orderPerson, orderShuffled, orderCourseDate, orderLearnerName, orderEmployee}

// checkOrder reports a -order value that is not one of rowOrders.
func checkOrder(o string) error {
	if slices.Contains(rowOrders, o) {
		return nil
	}
	return usageError{msg: fmt.Sprintf("-order %q: want one of %s", o, strings.Join(rowOrders, ", "))}
}

// rowKeys are what a row can be sorted by. The LMS export has no name or
// employee number column for every row, so its rows carry the person's.
type rowKeys struct {
	course string
	on     time.Time
	name   string // "Last First", as a report sorted by learner lists them
	emp    int
}

// reorder writes rows straight through in the person order, and otherwise
// holds them (the whole file: a few hundred bytes a row) to write them in
// the asked order at flush. Sorts are stable, so ties keep person order.
type reorder[T any] struct {
	order string
	seed  uint64
	write func(T) error
	keys  []rowKeys
	rows  []T
}

func newReorder[T any](order string, seed uint64, write func(T) error) *reorder[T] {
	return &reorder[T]{order: order, seed: seed, write: write}
}

// add writes row, or holds it with its keys.
func (r *reorder[T]) add(k rowKeys, row T) error {
	if r.order == orderPerson || r.order == "" {
		return r.write(row)
	}
	r.keys = append(r.keys, k)
	r.rows = append(r.rows, row)
	return nil
}

// flush writes the rows held, in order.
func (r *reorder[T]) flush() error {
	idx := make([]int, len(r.rows))
	for i := range idx {
		idx[i] = i
	}
	by := func(f func(a, b *rowKeys) int) {
		slices.SortStableFunc(idx, func(a, b int) int { return f(&r.keys[a], &r.keys[b]) })
	}
	switch r.order {
	case orderShuffled:
		rng := rand.New(rand.NewPCG(r.seed, 0x5eed))
		rng.Shuffle(len(idx), func(a, b int) { idx[a], idx[b] = idx[b], idx[a] })
	case orderCourseDate:
		by(func(a, b *rowKeys) int { return cmp.Or(strings.Compare(a.course, b.course), a.on.Compare(b.on)) })
	case orderLearnerName:
		by(func(a, b *rowKeys) int { return strings.Compare(a.name, b.name) })
	case orderEmployee:
		by(func(a, b *rowKeys) int { return cmp.Compare(a.emp, b.emp) })
	}
	for _, i := range idx {
		if err := r.write(r.rows[i]); err != nil {
			return err
		}
	}
	r.keys, r.rows = nil, nil
	return nil
}
