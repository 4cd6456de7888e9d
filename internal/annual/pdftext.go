package annual

import (
	"strings"

	"golang.org/x/text/unicode/norm"
)

// cp1252Extras are the characters above Latin-1 that Windows-1252, the
// encoding of the PDF's standard fonts, holds.
const cp1252Extras = "€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ"

// pdfSafe writes a character the standard fonts lack as its letter
// without the accent (Gŵyr as Gwyr), or "?" when it has none, so that a
// Welsh or other name still reads.
func pdfSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x100 || strings.ContainsRune(cp1252Extras, r) {
			return r
		}
		if base := []rune(norm.NFD.String(string(r))); len(base) > 0 && base[0] < 0x100 {
			return base[0]
		}
		return '?'
	}, s)
}
