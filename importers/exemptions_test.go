package importers

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func readExemptions(t *testing.T, path string) ([]ExemptionRow, Summary) {
	t.Helper()
	var rows []ExemptionRow
	sum, err := ReadExemptions(path, Options{}, func(r ExemptionRow) error {
		rows = append(rows, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return rows, sum
}

func TestReadExemptions(t *testing.T) {
	path := writeFile(t, "exemptions.csv", []byte("\ufeffEmployee Number;Reason;From;Until\r\n"+
		"00123;Maternity leave;01/09/2026;\r\n"+
		"124;Secondment;2026-01-01;31-Aug-2026\r\n"+
		"125;Career break;;01/01/2027\r\n"+
		"126;Sickness;01/02/2026;01/01/2026\r\n"+
		"127;Sickness;31/02/2026;\r\n"+
		";Sickness;01/02/2026;\r\n"+
		"128;Sickness;01/02/2026;01/02/2026\r\n"))
	rows, sum := readExemptions(t, path)
	type got struct {
		emp, reason string
		from, until time.Time
		row         int
	}
	var have []got
	for _, r := range rows {
		have = append(have, got{r.EmployeeNumber, r.Reason, r.From, r.Until, r.Row})
	}
	want := []got{
		{"00123", "Maternity leave", day("2026-09-01"), time.Time{}, 2},
		{"124", "Secondment", day("2026-01-01"), day("2026-08-31"), 3},
		{"128", "Sickness", day("2026-02-01"), day("2026-02-01"), 8},
	}
	if !reflect.DeepEqual(have, want) {
		t.Errorf("rows\n got %+v\nwant %+v", have, want)
	}
	errs := errorStrings(sum.Errors)
	wantErrs := []string{
		`row 4, column "From" is blank`,
		`row 5, column "Until": "01/01/2026" is before the From date`,
		`row 6, column "From": "31/02/2026"`,
		`row 7, column "Employee Number" is blank`,
	}
	if len(errs) != len(wantErrs) {
		t.Fatalf("errors %q", errs)
	}
	for i, w := range wantErrs {
		if !strings.Contains(errs[i], w) {
			t.Errorf("error %d %q lacks %q", i, errs[i], w)
		}
	}
}

func TestClassifyExemptionsAndStaffFields(t *testing.T) {
	ex := writeFile(t, "leave.csv", []byte("Employee Number,Reason,From,Until\n1,Maternity,01/01/2026,\n"))
	if k, err := Classify(ex, Options{}); err != nil || k != Exemptions {
		t.Errorf("exemptions file classified %q, %v", k, err)
	}
	staff := writeFile(t, "staff.csv", []byte("Employee Number,Organisation,Org L2,Org L3,Org L4,Org L7,Staff Group,Hire Date,Latest Start Date\n"+
		"1,Acute,RXX,Medicine,Ward 4,Bay 2,Admin,01/03/2019,05/06/2026\n2,Acute,RXX,Medicine,,,Admin,,\n3,Acute,,,,,Admin,32/13/2020,\n"))
	if k, err := Classify(staff, Options{}); err != nil || k != Staff {
		t.Errorf("staff file classified %q, %v", k, err)
	}
	rows, sum := readStaff(t, staff, Options{})
	if len(rows) != 2 || len(sum.Errors) != 1 || !strings.Contains(sum.Errors[0].Error(), `column "Hire Date"`) {
		t.Fatalf("rows %+v errors %v", rows, sum.Errors)
	}
	// Hire Date comes before Latest Start Date in the contract's list.
	if !rows[0].StartDate.Equal(day("2019-03-01")) || !rows[1].StartDate.IsZero() {
		t.Errorf("start dates %s %s", rows[0].StartDate, rows[1].StartDate)
	}
	if rows[0].OrgLevels != [6]string{"RXX", "Medicine", "Ward 4", "", "", "Bay 2"} || rows[0].Organisation != "Acute" {
		t.Errorf("org levels %q, organisation %q", rows[0].OrgLevels, rows[0].Organisation)
	}
	// Org L3 stands in for a missing Organisation column, and is kept as org_l3 too.
	only := writeFile(t, "l3.csv", []byte("Employee Number,Org L3,Staff Group\n1,Medicine,Admin\n"))
	rows, _ = readStaff(t, only, Options{})
	if rows[0].Organisation != "Medicine" || rows[0].OrgLevels[1] != "Medicine" {
		t.Errorf("organisation %q org_l3 %q", rows[0].Organisation, rows[0].OrgLevels[1])
	}
}
