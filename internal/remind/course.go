package remind

import (
	"strings"

	"github.com/nhs-prevent/prevent/internal/compliance"
)

// Course is the course a reminder asks someone to book.
type Course struct {
	Level compliance.Level // the level it counts for
	// Name is the course as the config's course rule names it: its first
	// pattern made readable ("*Prevent *Level 3*" reads "Prevent Level 3");
	// "" when no pattern reads as a name.
	Name string
	Link string // where to book it; "" when the config gives none
}

// Title is the course for people to read: its name, else its level.
func (c Course) Title() string {
	if c.Name != "" {
		return c.Name
	}
	if c.Level == compliance.LevelNone {
		return ""
	}
	return c.Level.Title()
}

// courses picks the course to book for each required level.
type courses map[compliance.Level]Course

// newCourses chooses, for each level, the first course rule in the config
// at that level, else the first at the lowest level above it (a higher
// level satisfies a lower one). Its link is the rule's own, else the first
// link given for the same level.
func newCourses(rules []compliance.CourseRule) courses {
	out := courses{}
	for _, want := range compliance.Levels {
		var best *compliance.CourseRule
		for i := range rules {
			r := &rules[i]
			if r.Level < want {
				continue
			}
			if best == nil || r.Level < best.Level {
				best = r
			}
		}
		if best == nil {
			out[want] = Course{Level: want}
			continue
		}
		c := Course{Level: best.Level, Link: best.Link}
		for _, pat := range best.Match {
			if c.Name = readable(pat.String()); c.Name != "" {
				break
			}
		}
		for i := 0; c.Link == "" && i < len(rules); i++ {
			if rules[i].Level == best.Level {
				c.Link = rules[i].Link
			}
		}
		out[want] = c
	}
	return out
}

// forLevel is the course to book for a required level; none is known for
// LevelNone (someone no longer in the staff snapshot).
func (cs courses) forLevel(l compliance.Level) Course {
	if c, ok := cs[l]; ok {
		return c
	}
	return Course{}
}

// readable turns a course pattern into a name: the wildcards `*` become
// spaces, and a pattern with any other wildcard (`?`, `[...]`, an escape)
// reads as nothing ("*Radicali?ation*" is no name to show anyone).
func readable(pattern string) string {
	if strings.ContainsAny(pattern, `?[\`) {
		return ""
	}
	return strings.Join(strings.Fields(strings.ReplaceAll(pattern, "*", " ")), " ")
}
