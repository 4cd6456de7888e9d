package figures

import (
	"strings"

	"github.com/nhs-prevent/prevent/internal/compliance"
)

// LevelNeed is the completions a month a level needs.
type LevelNeed struct {
	Level    compliance.Level
	PerMonth int
}

// CompletionsAMonth lists the completions a month of the levels that need
// any, for a sentence: "12 basic awareness, 3 level 3 and 1 face-to-face
// completions", "1 level 3 completion"; "" when no level needs one.
// number writes each count.
func CompletionsAMonth(needs []LevelNeed, number func(int) string) string {
	var parts []string
	total := 0
	for _, n := range needs {
		if n.PerMonth > 0 {
			parts = append(parts, number(n.PerMonth)+" "+LevelInSentence(n.Level))
			total += n.PerMonth
		}
	}
	if len(parts) == 0 {
		return ""
	}
	list := parts[len(parts)-1]
	if len(parts) > 1 {
		list = strings.Join(parts[:len(parts)-1], ", ") + " and " + list
	}
	if total == 1 {
		return list + " completion"
	}
	return list + " completions"
}

// LevelInSentence is a level's name inside a sentence: basic awareness,
// level 3, face-to-face.
func LevelInSentence(l compliance.Level) string {
	switch l {
	case compliance.Basic:
		return "basic awareness"
	case compliance.Level3:
		return "level 3"
	case compliance.FaceToFace:
		return "face-to-face"
	}
	return l.String()
}
