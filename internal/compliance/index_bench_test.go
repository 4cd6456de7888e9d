package compliance

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

// BenchmarkEmployeeIndex puts and gets 2,000,000 ESR employee numbers in
// a random order: a national workforce's lookups, each a cache miss.
func BenchmarkEmployeeIndex(b *testing.B) {
	const n = 2_000_000
	order := rand.New(rand.NewPCG(1, 2)).Perm(n)
	var buf []byte
	emp := func(i int) []byte { // as a driver hands it over: in cache
		buf = strconv.AppendInt(buf[:0], int64(20000000+i*3), 10)
		return buf
	}
	b.Run("put", func(b *testing.B) {
		for b.Loop() {
			x := NewEmployeeIndex(n)
			for _, i := range order {
				x.PutBytes(emp(i), int32(i))
			}
		}
	})
	x := NewEmployeeIndex(n)
	for _, i := range order {
		x.PutBytes(emp(i), int32(i))
	}
	b.Run("get-in-order", func(b *testing.B) { // as a snapshot sorted by number is read
		for b.Loop() {
			for i := range n {
				if at, ok := x.GetBytes(emp(i)); !ok || at != int32(i) {
					b.Fatal("lost")
				}
			}
		}
	})
	order = rand.New(rand.NewPCG(3, 4)).Perm(n)
	b.Run("get", func(b *testing.B) {
		for b.Loop() {
			for _, i := range order {
				if at, ok := x.GetBytes(emp(i)); !ok || at != int32(i) {
					b.Fatal("lost")
				}
			}
		}
	})
}

// BenchmarkTotalBuilderAdd adds a national snapshot's 2,400,000
// assignments of 2,000,000 people, in a random order, to a total.
func BenchmarkTotalBuilderAdd(b *testing.B) {
	const n = 2_000_000
	p := contractPolicy()
	type row struct {
		emp  string
		kind int
	}
	var rows []row
	for i := range n {
		emp := strconv.Itoa(20000000 + i*3)
		rows = append(rows, row{emp, i % 7})
		if i%5 == 0 {
			rows = append(rows, row{emp, 7 + i%3})
		}
	}
	rand.New(rand.NewPCG(5, 6)).Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	kinds := make([]Assignment, 10)
	for i := range kinds {
		kinds[i] = Assignment{StaffGroup: []string{"Medical and Dental", "Estates and Ancillary"}[i%2], JobRole: "Staff"}
	}
	for b.Loop() {
		t := p.NewTotal(n)
		for _, r := range rows {
			t.AddKind([]byte(r.emp), &Assignment{}, r.kind, &kinds[r.kind])
		}
		t.Done()
	}
}
