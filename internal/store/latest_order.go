package store

import (
	"cmp"
	"slices"
	"sort"
	"sync"

	"github.com/nhs-prevent/prevent/internal/compliance"
)

// numberOrder is a Latest's people with all-digit employee numbers in the
// order of their value, each with a copy of their slots and recent
// completions, for a caller that asks for millions of people in that order
// (NumberCursor): walked side by side with them rather than looked up one
// at a time, a cache miss each. Made once, when first asked for, for all
// the dates read together.
type numberOrder struct {
	once     sync.Once
	values   []uint64
	slots    []latestSlot // width per person, in the order of values
	recent   []recentSlot
	recentAt []int32 // the person i's are recent[recentAt[i]:recentAt[i+1]]; nil for none
}

// NumberCursor gives the training of all-digit employee numbers by their
// value (compliance.NumberedTrainingSource), asked for in order of value,
// none less than from; it is for one goroutine.
func (l *Latest) NumberCursor(from uint64) func(value uint64, buf []compliance.Training) []compliance.Training {
	if l.people == nil {
		return func(_ uint64, buf []compliance.Training) []compliance.Training { return buf }
	}
	o := l.order
	o.once.Do(func() { o.sort(l) })
	i := sort.Search(len(o.values), func(i int) bool { return o.values[i] >= from })
	return func(value uint64, buf []compliance.Training) []compliance.Training {
		for i < len(o.values) && o.values[i] < value {
			i++
		}
		if i == len(o.values) || o.values[i] != value {
			return buf
		}
		var recent []recentSlot
		if o.recentAt != nil {
			recent = o.recent[o.recentAt[i]:o.recentAt[i+1]]
		}
		return l.training(o.slots[i*l.width:(i+1)*l.width], recent, buf)
	}
}

// sort fills o from l.
func (o *numberOrder) sort(l *Latest) {
	type numberAt struct {
		value uint64
		at    int32
	}
	var list []numberAt
	l.people.EachNumber(func(value uint64, at int32) {
		list = append(list, numberAt{value, at})
	})
	slices.SortFunc(list, func(a, b numberAt) int { return cmp.Compare(a.value, b.value) })
	o.values = make([]uint64, len(list))
	o.slots = make([]latestSlot, len(list)*l.width)
	if l.recentAt != nil {
		o.recentAt = make([]int32, len(list)+1)
	}
	for i, n := range list {
		o.values[i] = n.value
		copy(o.slots[i*l.width:], l.slots[n.at:int(n.at)+l.width])
		if o.recentAt != nil {
			o.recent = append(o.recent, l.recentOf(n.at)...)
			o.recentAt[i+1] = int32(len(o.recent))
		}
	}
}
