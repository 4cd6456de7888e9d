package returns

import (
	"encoding/csv"
	"io"
	"strconv"

	"github.com/nhs-prevent/prevent/internal/activity"
	"github.com/nhs-prevent/prevent/internal/figures"
)

// Sheet names of the referrals section in the XLSX return.
const (
	SheetReferrals = "Referrals"
	SheetLead      = "Prevent lead"
)

// Activity is the return's referrals section: the quarter's referral and
// partnership counts and the identified leads. A Return carries one only
// when a Prevent lead is configured or a referral or meetings log has been
// imported; without it the return is the training return alone.
type Activity struct {
	Counts      activity.QuarterCounts
	Lead        activity.Lead // the Prevent lead (zero when not configured)
	Accountable activity.Lead // the accountable lead (zero when not configured)
	// LeadSince is the day the current Prevent lead was first seen, zero
	// when not recorded.
	LeadSince string
	// SuppressBelow, when above 1, writes counts from 1 to SuppressBelow-1
	// as "*" (return.suppress_below).
	SuppressBelow int
}

// ReferralColumns is the referrals section's header, exactly as the
// contract writes it.
var ReferralColumns = append(append([]string{"quarter", "provider_code", "provider"}, activity.Columns...),
	"prevent_lead", "prevent_lead_email")

// ReferralRecord is the referrals section's one row: counts only, never a
// case reference.
func (r *Return) ReferralRecord() []string {
	a := r.Activity
	if a == nil {
		a = &Activity{}
	}
	rec := []string{r.Quarter.String(), figures.SafeCell(r.Provider.ODSCode), figures.SafeCell(r.Provider.Name)}
	rec = append(rec, a.Counts.Cells(a.SuppressBelow)...)
	return append(rec, figures.SafeCell(a.Lead.Name), figures.SafeCell(a.Lead.Email))
}

// WriteReferralsCSV writes the referrals section as CSV: the contract's
// header and one row.
func (r *Return) WriteReferralsCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(ReferralColumns); err != nil {
		return err
	}
	if err := cw.Write(r.ReferralRecord()); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// referrals writes the Referrals sheet (the CSV's header and row from A1,
// counts as numbers) and the Prevent lead sheet.
func (b *book) referrals() {
	sh := SheetReferrals
	rec := b.r.ReferralRecord()
	for c, h := range ReferralColumns {
		b.str(sh, c+1, 1, h, cellStyle{bold: true, fill: headerFill})
	}
	widths := make([]float64, len(ReferralColumns))
	for c, v := range rec {
		widths[c] = float64(max(len(ReferralColumns[c]), len([]rune(v)))) + 2
		if n, err := strconv.Atoi(v); err == nil {
			b.num(sh, c+1, 2, float64(n), cellStyle{})
			continue
		}
		ref := cellName(c+1, 2)
		b.fail(b.f.SetCellStr(sh, ref, v)) // neutralised by ReferralRecord
		if v == activity.Suppressed {
			b.fail(b.f.SetCellStyle(sh, ref, ref, b.style(cellStyle{align: "right"})))
		}
	}
	b.widths(sh, widths...)
	b.landscape(sh)

	sh = SheetLead
	a := b.r.Activity
	for c, h := range []string{"role", "name", "email", "phone"} {
		b.str(sh, c+1, 1, h, cellStyle{bold: true, fill: headerFill})
	}
	for i, l := range []struct {
		role string
		lead activity.Lead
	}{{"Prevent lead", a.Lead}, {"Accountable lead", a.Accountable}} {
		b.str(sh, 1, i+2, l.role, cellStyle{bold: true})
		b.str(sh, 2, i+2, orNotRecorded(l.lead.Name), cellStyle{})
		b.str(sh, 3, i+2, l.lead.Email, cellStyle{})
		b.str(sh, 4, i+2, l.lead.Phone, cellStyle{})
	}
	if a.LeadSince != "" {
		b.str(sh, 1, 5, "Prevent lead since", cellStyle{bold: true})
		b.str(sh, 2, 5, a.LeadSince, cellStyle{})
	}
	b.widths(sh, 20, 30, 34, 18)
	b.fitWidth(sh, "portrait")
}
