package figures

import (
	"strconv"
	"testing"

	"github.com/nhs-prevent/prevent/internal/compliance"
)

func TestCompletionsAMonth(t *testing.T) {
	itoa := func(n int) string { return strconv.Itoa(n) }
	for _, tc := range []struct {
		needs []LevelNeed
		want  string
	}{
		{nil, ""},
		{[]LevelNeed{{compliance.Basic, 0}}, ""},
		{[]LevelNeed{{compliance.Level3, 1}}, "1 level 3 completion"},
		{[]LevelNeed{{compliance.Basic, 1}, {compliance.Level3, 0}, {compliance.FaceToFace, 1}}, "1 basic awareness and 1 face-to-face completions"},
		{[]LevelNeed{{compliance.Basic, 12}, {compliance.Level3, 3}, {compliance.FaceToFace, 1}}, "12 basic awareness, 3 level 3 and 1 face-to-face completions"},
	} {
		if got := CompletionsAMonth(tc.needs, itoa); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.needs, got, tc.want)
		}
	}
}
