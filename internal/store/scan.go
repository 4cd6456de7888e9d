package store

import (
	"fmt"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
)

// Both drivers take dates and instants as text: 'YYYY-MM-DD' compares as a
// date in SQLite and converts to DATE in PostgreSQL.
const (
	dayLayout = time.DateOnly
	// instantLayout is fixed width so that SQLite text sorts in time order.
	instantLayout = "2006-01-02T15:04:05.000000Z"
)

// dayArg is a calendar day as a query argument.
func dayArg(t time.Time) string { return compliance.Day(t).Format(dayLayout) }

// instantArg is an instant as a query argument for the dialect.
func (s *Store) instantArg(t time.Time) any {
	t = t.UTC().Truncate(time.Microsecond)
	if s.dialect == SQLite {
		return t.Format(instantLayout)
	}
	return t
}

// day scans a calendar day, whichever form the driver returns it in (a
// string from SQLite, a time.Time from PostgreSQL), as midnight UTC. NULL
// scans as the zero time.
type day struct{ time.Time }

func (d *day) Scan(src any) error {
	t, err := scanTime(src, dayLayout)
	if err != nil {
		return err
	}
	if !t.IsZero() {
		t = compliance.Day(t)
	}
	d.Time = t
	return nil
}

// instant scans a point in time, as UTC.
type instant struct{ time.Time }

func (i *instant) Scan(src any) error {
	t, err := scanTime(src, instantLayout)
	if err != nil {
		return err
	}
	if !t.IsZero() {
		t = t.UTC()
	}
	i.Time = t
	return nil
}

// textLayouts are the forms a time may take as text, the store's own first.
var textLayouts = []string{instantLayout, dayLayout, time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999"}

func scanTime(src any, layout string) (time.Time, error) {
	var s string
	switch v := src.(type) {
	case nil:
		return time.Time{}, nil
	case time.Time:
		return v, nil
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return time.Time{}, fmt.Errorf("cannot read %T %v as a date", src, src)
	}
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(layout, s); err == nil {
		return t, nil
	}
	for _, l := range textLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("cannot read %q as a date", s)
}
