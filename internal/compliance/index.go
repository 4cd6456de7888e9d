package compliance

import "strings"

// EmployeeIndex maps employee numbers, exactly as written, to positions
// (such as a person's index in a slice). ESR's employee numbers are
// digits, and a national workforce has millions of them: those are held
// as integers, which hash and compare in a fraction of the time of
// strings and need no string kept per key. Anything else is held as
// written.
type EmployeeIndex struct {
	num numberTable
	str map[string]int32
}

// NewEmployeeIndex makes an empty index sized for about n employee numbers.
func NewEmployeeIndex(n int) *EmployeeIndex {
	x := &EmployeeIndex{}
	x.num.init(n)
	return x
}

// Numbers up to 18 digits after their leading zeros fit in 60 bits; the
// top 4 hold how many leading zeros there were (up to 15), so that "0123"
// and "123" stay apart. The last digit is never counted as a leading zero:
// "0" is 0 with none, "00" is 0 with one.
const (
	numberDigits = 18
	zeroShift    = 60
	mostZeros    = 15
)

// numberKey returns the integer form of an employee number, false when it
// has to be held as written.
func numberKey[S string | []byte](s S) (uint64, bool) {
	if len(s) == 0 {
		return 0, false
	}
	zeros := 0
	for zeros < len(s)-1 && s[zeros] == '0' {
		zeros++
	}
	if zeros > mostZeros || len(s)-zeros > numberDigits {
		return 0, false
	}
	var v uint64
	for i := zeros; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	return v | uint64(zeros)<<zeroShift, true
}

// numberText is the employee number numberKey made k from.
func numberText(k uint64) string {
	zeros := int(k >> zeroShift)
	v := k &^ (uint64(mostZeros) << zeroShift)
	var buf [numberDigits]byte
	i := len(buf)
	for {
		i--
		buf[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return strings.Repeat("0", zeros) + string(buf[i:])
}

// Get returns the position of an employee number.
func (x *EmployeeIndex) Get(emp string) (int32, bool) {
	if k, ok := numberKey(emp); ok {
		return x.num.get(k)
	}
	v, ok := x.str[emp]
	return v, ok
}

// GetBytes is Get for an employee number in a buffer the caller reuses.
func (x *EmployeeIndex) GetBytes(emp []byte) (int32, bool) {
	if k, ok := numberKey(emp); ok {
		return x.num.get(k)
	}
	v, ok := x.str[string(emp)]
	return v, ok
}

// Put sets the position of an employee number.
func (x *EmployeeIndex) Put(emp string, pos int32) {
	if k, ok := numberKey(emp); ok {
		x.num.put(k, pos)
		return
	}
	if x.str == nil {
		x.str = make(map[string]int32)
	}
	x.str[emp] = pos
}

// PutBytes is Put for an employee number in a buffer the caller reuses.
func (x *EmployeeIndex) PutBytes(emp []byte, pos int32) {
	if k, ok := numberKey(emp); ok {
		x.num.put(k, pos)
		return
	}
	x.Put(string(emp), pos)
}

// EachNumber calls fn with each all-digit employee number held that is
// written without leading zeros ("0" for 0), as EmployeeKey writes them,
// given as its value, and its position, in no particular order.
func (x *EmployeeIndex) EachNumber(fn func(value uint64, pos int32)) {
	x.num.each(func(k uint64, v int32) {
		if k>>zeroShift == 0 {
			fn(k, v)
		}
	})
}

// Len is how many employee numbers the index holds.
func (x *EmployeeIndex) Len() int { return x.num.n + len(x.str) }

// All calls fn with each employee number held and its position, in no
// particular order.
func (x *EmployeeIndex) All(fn func(emp string, pos int32)) {
	x.num.each(func(k uint64, v int32) { fn(numberText(k), v) })
	for k, v := range x.str {
		fn(k, v)
	}
}

// numberTable maps the integer forms of employee numbers (numberKey) to
// positions: an open-addressing table probed linearly, each slot the key
// and its position side by side. A national workforce's table is tens of
// megabytes, so nearly every lookup is a cache miss (and on 4 KB pages a
// TLB miss): one slot read, where Go's map reads a control word and then
// a slot in another cache line, and hashes through a function call.
// BenchmarkEmployeeIndex measures the two.
type numberTable struct {
	slots []numberSlot // a power of two of them, at most three quarters used
	n     int
}

type numberSlot struct {
	key uint64 // the numberKey plus one (it never reaches 2^64-1); 0 for an empty slot
	pos int32
}

// init empties the table and sizes it for about n keys.
func (t *numberTable) init(n int) {
	size := 16
	for size/4*3 < n {
		size <<= 1
	}
	t.slots, t.n = make([]numberSlot, size), 0
}

// home is the slot where the search for k starts: k mixed (the
// finaliser of MurmurHash3), so that numbers issued in sequence spread
// over the table. (Numbers placed in runs side by side, for the cache's
// sake when they are looked up in order, made probes of dense numbers
// tens of slots long at three quarters full: TestNumberTableProbes.)
func (t *numberTable) home(k uint64) int {
	k ^= k >> 33
	k *= 0xff51afd7ed558ccd
	k ^= k >> 33
	return int(k & uint64(len(t.slots)-1))
}

func (t *numberTable) get(k uint64) (int32, bool) {
	if t.slots == nil {
		return 0, false
	}
	k++
	mask := len(t.slots) - 1
	for i := t.home(k - 1); ; i = (i + 1) & mask {
		switch s := &t.slots[i]; s.key {
		case k:
			return s.pos, true
		case 0:
			return 0, false
		}
	}
}

func (t *numberTable) put(k uint64, pos int32) {
	if t.slots == nil || (t.n+1) > len(t.slots)/4*3 {
		t.grow()
	}
	mask := len(t.slots) - 1
	for i := t.home(k); ; i = (i + 1) & mask {
		switch s := &t.slots[i]; s.key {
		case k + 1:
			s.pos = pos
			return
		case 0:
			s.key, s.pos = k+1, pos
			t.n++
			return
		}
	}
}

// grow doubles the table (or makes its first), moving every key.
func (t *numberTable) grow() {
	old := t.slots
	t.init(max(2*t.n, 12))
	for _, s := range old {
		if s.key != 0 {
			t.put(s.key-1, s.pos)
		}
	}
}

// each calls fn with each key and its position, in no particular order.
func (t *numberTable) each(fn func(k uint64, pos int32)) {
	for _, s := range t.slots {
		if s.key != 0 {
			fn(s.key-1, s.pos)
		}
	}
}
