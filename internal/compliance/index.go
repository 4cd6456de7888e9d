package compliance

import "strings"

// EmployeeIndex maps employee numbers, exactly as written, to positions
// (such as a person's index in a slice). ESR's employee numbers are
// digits, and a national workforce has millions of them: those are held
// as integers, which hash and compare in a fraction of the time of
// strings and need no string kept per key. Anything else is held as
// written.
type EmployeeIndex struct {
	num map[uint64]int32
	str map[string]int32
}

// NewEmployeeIndex makes an empty index sized for about n employee numbers.
func NewEmployeeIndex(n int) *EmployeeIndex {
	return &EmployeeIndex{num: make(map[uint64]int32, max(n, 0))}
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
		v, ok := x.num[k]
		return v, ok
	}
	v, ok := x.str[emp]
	return v, ok
}

// GetBytes is Get for an employee number in a buffer the caller reuses.
func (x *EmployeeIndex) GetBytes(emp []byte) (int32, bool) {
	if k, ok := numberKey(emp); ok {
		v, ok := x.num[k]
		return v, ok
	}
	v, ok := x.str[string(emp)]
	return v, ok
}

// Put sets the position of an employee number.
func (x *EmployeeIndex) Put(emp string, pos int32) {
	if k, ok := numberKey(emp); ok {
		x.num[k] = pos
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
		x.num[k] = pos
		return
	}
	x.Put(string(emp), pos)
}

// EachNumber calls fn with each all-digit employee number held that is
// written without leading zeros ("0" for 0), as EmployeeKey writes them,
// given as its value, and its position, in no particular order.
func (x *EmployeeIndex) EachNumber(fn func(value uint64, pos int32)) {
	for k, v := range x.num {
		if k>>zeroShift == 0 {
			fn(k, v)
		}
	}
}

// Len is how many employee numbers the index holds.
func (x *EmployeeIndex) Len() int { return len(x.num) + len(x.str) }

// All calls fn with each employee number held and its position, in no
// particular order.
func (x *EmployeeIndex) All(fn func(emp string, pos int32)) {
	for k, v := range x.num {
		fn(numberText(k), v)
	}
	for k, v := range x.str {
		fn(k, v)
	}
}
