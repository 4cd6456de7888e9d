package report

import (
	"reflect"
	"testing"

	"github.com/nhs-prevent/prevent/internal/store"
)

func TestImportTotals(t *testing.T) {
	q := Quality{Imports: []store.Import{ // newest first, as the store lists them
		{ID: 4, Kind: store.KindCompletions, RowsRead: 2, RowsImported: 2, ReReadOf: 2},
		{ID: 3, Kind: store.KindExemptions, RowsRead: 1, RowsImported: 1},
		{ID: 2, Kind: store.KindCompletions, RowsRead: 6, RowsImported: 1},
		{ID: 1, Kind: store.KindStaff, RowsRead: 3, RowsImported: 3},
	}}
	t.Run("a file read again for newly mapped courses is one file, its rows read once", func(t *testing.T) {
		want := ImportTotals{Files: 3, ByKind: map[string]int{store.KindStaff: 1, store.KindCompletions: 1, store.KindExemptions: 1},
			ReReads: 1, RowsRead: 10, RowsImported: 7}
		if got := q.Totals(); !reflect.DeepEqual(got, want) {
			t.Errorf("totals %+v, want %+v", got, want)
		}
	})
	t.Run("a re-read names the file's first import", func(t *testing.T) {
		if first, ok := q.FirstImport(q.Imports[0]); !ok || first.ID != 2 || q.ReReads() != 1 {
			t.Errorf("first import %+v, %v; re-reads %d", first, ok, q.ReReads())
		}
	})
}
