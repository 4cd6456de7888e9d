package annual

import (
	"reflect"
	"testing"
)

// qualityRows is the data-quality table as label: count.
func qualityRows(q Quality) [][2]string {
	r := sample(true)
	r.Quality = q
	var out [][2]string
	for _, row := range r.qualitySection().Tables[0].Rows {
		out = append(out, [2]string{row.Cells[0].Text, row.Cells[1].Text})
	}
	return out
}

func TestQualityTable(t *testing.T) {
	t.Run("the first row counts every kind of file, and says so", func(t *testing.T) {
		got := qualityRows(Quality{Imports: 2, StaffImports: 1, CompletionImports: 1, RowsRead: 30, RowsImported: 25})
		want := [][2]string{
			{"Files imported (all kinds)", "2"}, {"Staff extracts imported", "1"}, {"Completion extracts imported", "1"},
			{"Rows read", "30"}, {"Rows imported", "25"}, {"Rows rejected", "0"},
			{"Completions naming nobody in any staff extract", "0"}, {"Completions dated after the day they were imported", "0"},
			{"Course names that look like Prevent training but match no course rule", "0"},
			{"Other course names that map to no Prevent level (ignored)", "0"},
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("rows\n%q\nwant\n%q", got, want)
		}
	})
	t.Run("other kinds and files read again have rows of their own when there are any", func(t *testing.T) {
		got := qualityRows(Quality{Imports: 6, StaffImports: 1, CompletionImports: 2, ExemptionImports: 1, ReferralImports: 1,
			MeetingImports: 1, ReReads: 1})
		want := [][2]string{
			{"Files imported (all kinds)", "6"}, {"Staff extracts imported", "1"}, {"Completion extracts imported", "2"},
			{"Exemption lists imported", "1"}, {"Referral logs imported", "1"}, {"Partnership meeting logs imported", "1"},
			{"Completion extracts read again for newly mapped courses (each file counted once above)", "1"},
		}
		if !reflect.DeepEqual(got[:len(want)], want) {
			t.Errorf("rows\n%q\nwant them to begin\n%q", got, want)
		}
	})
}
