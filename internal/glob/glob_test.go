package glob

import "testing"

func TestMatch(t *testing.T) {
	tests := []struct {
		pattern, value string
		want           bool
	}{
		{"Prevent Lead", "prevent lead", true},
		{"Prevent Lead", "  Prevent    Lead ", true},
		{"  prevent   LEAD", "Prevent Lead", true},
		{"Safeguarding*", "Safeguarding Lead Adults", true},
		{"Safeguarding*", "Named Safeguarding", false},
		{"*Mental Health*", "RXX Mental Health Division", true},
		{"*Prevent Awareness*", "Infection Prevention and Control", false},
		{"*Prevent*", "Infection Prevention and Control", true},
		{"Band ?", "Band 5", true},
		{"Band ?", "Band 10", false},
		{"*Prevent*Level 3*", "NHS|MAND|Prevent Level 3 - 3 Years|", true},
		{"*WRAP*", "Prevent WRAP Face to Face", true},
		{"a/b*", "A/B/C", true},
		{"Band [5-7]", "band 6", true},
		{"Band [!5-7]", "band 6", false},
		{"*", "", true},
		{"x*y*z", "xaaybbz", true},
		{"x*y*z", "xaaybb", false},
		{"café*", "CAFÉ au lait", true},
		{`50\*`, "50*", true},
		{`50\*`, "500", false},
	}
	for _, tt := range tests {
		t.Run(tt.pattern+" vs "+tt.value, func(t *testing.T) {
			p, err := Compile(tt.pattern)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Match(tt.value); got != tt.want {
				t.Errorf("Match = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	for _, bad := range []string{"Nurse[", `trailing\`, "", "   ", "[z-a]"} {
		t.Run(bad, func(t *testing.T) {
			if _, err := Compile(bad); err == nil {
				t.Errorf("Compile(%q) succeeded, want an error", bad)
			}
		})
	}
}

func FuzzMatch(f *testing.F) {
	f.Add("*Prevent*Level 3*", "NHS|MAND|Prevent Level 3 - 3 Years|")
	f.Add("[a-", "abc")
	f.Fuzz(func(t *testing.T, pattern, value string) {
		p, err := Compile(pattern)
		if err != nil {
			return
		}
		p.Match(value)
	})
}

func BenchmarkMatch(b *testing.B) {
	p := MustCompile("*Prevent*Level 3*")
	v := Normalize("NHS|CSTF|Preventing Radicalisation - Basic Prevent Awareness - 3 Years|")
	for b.Loop() {
		p.MatchNormalized(v)
	}
}

// Every kind of white space collapses to one space, whatever the case of
// the rest of the value (vertical tabs and form feeds once slipped past
// the quick check of an all-lower-case value).
func TestNormalizeWhiteSpace(t *testing.T) {
	for _, in := range []string{"a b", "a\tb", "a\vb", "a\fb", "a\r\nb", "a  b", " A \v B ", "a\u00a0b"} {
		if got := Normalize(in); got != "a b" {
			t.Errorf("Normalize(%q) = %q, want \"a b\"", in, got)
		}
	}
}
