// Package setup proposes a new trust's first config from its own extracts:
// the organisation and ODS code the files show, requirement rules from the
// staff groups and job roles found (following the Prevent training and
// competencies framework), course rules from the course names that look
// like Prevent training, and header aliases only for columns it could not
// recognise. It reads files and writes text; it never touches a database.
package setup

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/nhs-prevent/prevent/importers"
	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/glob"
)

// Proposal is what the extracts show, ready to be written as a config.
type Proposal struct {
	Organisation, ODSCode string
	OrganisationFrom      string // the file that showed the name
	Staff                 *workforce
	Courses               map[string]int // course name -> completion rows
	Files                 []FileNote
}

// FileNote is one file read, or not.
type FileNote struct {
	Name    string
	Kind    importers.Kind // "" when it could not be read as either
	Rows    int
	Problem string   // why it could not be used
	Columns []string // columns: lines that would let it be read
	Guessed bool     // Columns holds one plausible header per field: written live
}

// Files expands folders to the extracts in them (by name:
// importers.ExtractName), in name order; files are kept as given.
func Files(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return nil, fmt.Errorf("cannot read %s: %w", a, errors.Unwrap(err))
		}
		if !st.IsDir() {
			out = append(out, a)
			continue
		}
		entries, err := os.ReadDir(a)
		if err != nil {
			return nil, fmt.Errorf("cannot read folder %s: %w", a, err)
		}
		for _, e := range entries {
			n := e.Name()
			if e.IsDir() || !importers.ExtractName(n) {
				continue
			}
			out = append(out, filepath.Join(a, n))
		}
	}
	return out, nil
}

// logKinds are the files init passes over, each with what it is.
var logKinds = map[importers.Kind]string{
	importers.Exemptions: "an exemptions list",
	importers.Referrals:  "a referral log",
	importers.Meetings:   "a partnership meetings log",
}

// Propose reads the extracts. Staff extracts give the workforce (the
// latest by the date in the file name counts people); completions give
// the course names.
func Propose(files []string, opt importers.Options) (*Proposal, error) {
	p := &Proposal{Courses: map[string]int{}}
	type staffFile struct {
		path string
		key  string
	}
	var staff []staffFile
	for _, f := range files {
		note := FileNote{Name: filepath.Base(f)}
		kind, err := importers.Classify(f, opt)
		if err != nil {
			note.Problem = err.Error()
			p.noteColumns(&note, f, opt)
			p.Files = append(p.Files, note)
			continue
		}
		if log, ok := logKinds[kind]; ok {
			// Read by their own imports, never by init: nothing in them
			// proposes a rule.
			note.Problem = fmt.Sprintf("%s, not read by init: import it with 'prevent import %s'", log, kind)
			p.Files = append(p.Files, note)
			continue
		}
		note.Kind = kind
		if kind == importers.Staff {
			key := "0000-00-00"
			if d, ok := importers.EffectiveDateFromName(note.Name); ok {
				key = d.Format("2006-01-02")
			}
			staff = append(staff, staffFile{f, key + "\x00" + note.Name})
		} else {
			copt := opt
			copt.NotCompletedCourse = func(course string) {
				if _, seen := p.Courses[course]; !seen {
					p.Courses[course] = 0 // listed, though nobody has completed it yet
				}
			}
			sum, err := importers.ReadCompletions(f, copt, func(c importers.CompletionRow) error {
				p.Courses[c.Course]++
				return nil
			})
			if err != nil {
				note.Problem = err.Error()
				p.noteColumns(&note, f, opt)
			}
			note.Rows = sum.RowsRead
			p.noteTitles(sum.Titles, note.Name)
		}
		p.Files = append(p.Files, note)
	}
	sort.Slice(staff, func(a, b int) bool { return staff[a].key > staff[b].key })
	for _, s := range staff {
		w, sum, err := readWorkforce(s.path, opt)
		if err != nil {
			p.fileProblem(filepath.Base(s.path), err.Error())
			continue
		}
		p.noteTitles(sum.Titles, filepath.Base(s.path))
		p.fileRows(filepath.Base(s.path), sum.RowsRead)
		if p.Staff == nil {
			p.Staff = w
			p.ODSCode = w.odsCode()
			if p.Organisation == "" {
				p.Organisation, p.OrganisationFrom = w.trustName(), w.file
			}
		}
	}
	return p, nil
}

func (p *Proposal) fileProblem(name, problem string) {
	for i := range p.Files {
		if p.Files[i].Name == name {
			p.Files[i].Problem = problem
		}
	}
}

func (p *Proposal) fileRows(name string, rows int) {
	for i := range p.Files {
		if p.Files[i].Name == name {
			p.Files[i].Rows = rows
		}
	}
}

// noteColumns proposes columns: lines for a file that could not be read.
func (p *Proposal) noteColumns(note *FileNote, path string, opt importers.Options) {
	in, err := importers.Inspect(path, opt)
	if err != nil || in.Missing == "" {
		return
	}
	note.Problem = in.Missing
	note.Columns = in.Suggest
	for _, s := range in.Suggest {
		if strings.Contains(s, " or ") || strings.Contains(s, "<the header") {
			return
		}
	}
	note.Guessed = len(in.Suggest) > 0
}

// trustName finds a provider's name in a report title line: "Example
// NHS Foundation Trust", "Organisation: Example Health NHS Trust".
var trustNamePattern = regexp.MustCompile(`\b([A-Z][\w'&.,-]*\s+(?:(?:[A-Z][\w'&.,-]*|and|of|the|upon|on)\s+){0,9}NHS\s+(?:Foundation\s+)?Trust)\b`)

func (p *Proposal) noteTitles(titles []string, file string) {
	if p.Organisation != "" {
		return
	}
	for _, t := range titles {
		if m := trustNamePattern.FindStringSubmatch(strings.TrimSpace(t)); m != nil {
			p.Organisation, p.OrganisationFrom = strings.Join(strings.Fields(m[1]), " "), file
			return
		}
	}
}

// Prevent-looking course names, as the quality report tells them:
// "Prevent " and "Radicalisation" and WRAP, never "Prevention".
var (
	preventLike = glob.Set{glob.MustCompile("*prevent *"), glob.MustCompile("*prevent"), glob.MustCompile("*prevent|*"),
		glob.MustCompile("*radicali?ation*"), glob.MustCompile("*wrap*"), glob.MustCompile("*workshop to raise awareness*")}
	nearMiss      = glob.Set{glob.MustCompile("*prevent*"), glob.MustCompile("*radical*")}
	faceToFace    = glob.Set{glob.MustCompile("*wrap*"), glob.MustCompile("*face to face*"), glob.MustCompile("*face-to-face*"), glob.MustCompile("*workshop to raise awareness*")}
	levelThree    = glob.Set{glob.MustCompile("*level 3*"), glob.MustCompile("*level three*")}
	wrapWord      = regexp.MustCompile(`(?i)\bwrap\b`)
	preventionish = glob.Set{glob.MustCompile("*prevention*"), glob.MustCompile("*preventing falls*")}
)

// courseLevel proposes the level of a course name, or LevelNone when it
// does not look like Prevent training.
func courseLevel(name string) compliance.Level {
	n := glob.Normalize(name)
	if !preventLike.MatchNormalized(n) || (preventionish.MatchNormalized(n) && !glob.MustCompile("*radicali?ation*").MatchNormalized(n)) {
		return compliance.LevelNone
	}
	if glob.MustCompile("*wrap*").MatchNormalized(n) && !wrapWord.MatchString(name) {
		return compliance.LevelNone // "Wrapping" is not WRAP
	}
	switch {
	case faceToFace.MatchNormalized(n):
		return compliance.FaceToFace
	case levelThree.MatchNormalized(n):
		return compliance.Level3
	}
	return compliance.Basic
}
