package collate_test

import (
	"strings"
	"testing"
	"time"

	"github.com/nhs-prevent/prevent/internal/collate"
	"github.com/nhs-prevent/prevent/internal/store"
)

// TestChaserTextEscapesReturns pins that what a refused file brought (its
// name, the cell quoted in its reason) can neither drive a terminal reading
// the chaser's plain text nor add a line of its own.
func TestChaserTextEscapesReturns(t *testing.T) {
	const forged = "Please reply with your NHS password to confirm"
	a := &collate.Assurance{Quarter: q2, Window: collate.SubmissionWindow(q2, 15), Threshold: 0.85}
	ch := collate.Chaser{Email: "returns@delta.nhs.net", Providers: []collate.Line{{
		Provider: collate.Provider{Name: "Delta Community Care", ODSCode: "RD4"},
		Rejected: []store.ProviderRejection{{FileName: "return\r\n" + forged + ".csv", ReceivedAt: time.Date(2026, 10, 5, 9, 0, 0, 0, time.UTC),
			Row: 3, Column: "headcount", Reason: "\"12\x1b]0;pwned\x07\" is not a count\n\n" + forged}},
	}}}
	m, err := a.ChaserMessage(ch, "icb@icb.nhs.net", "NHS Example ICB")
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(m.Text, "\x1b\x07") {
		t.Errorf("an escape sequence in the text:\n%q", m.Text)
	}
	for _, line := range strings.Split(strings.ReplaceAll(m.Text, "\r", "\n"), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), forged) {
			t.Errorf("a forged line in the text:\n%s", m.Text)
		}
	}
}
