package web

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// The people list is shown a page at a time: a whole trust on one page
// was 10 MB of HTML at 30,000 people. The downloads still hold every
// matching row.
const (
	defaultPer = 200
	minPer     = 100
	maxPer     = 500
)

// pager is the page of a list the address asks for.
type pager struct {
	Page, Per int
	// Asked is the page the address asked for when it was past the last
	// page (the last page is shown instead); 0 otherwise.
	Asked int
	Pages int // the number of pages, at least 1
	Count int // the rows on every page together
	From  int // the first row shown, counted from 1 (0 when none)
	To    int // the last row shown
	// Prev and Next are the neighbouring pages' addresses, "" at an end.
	Prev, Next string
}

// parsePager reads page= and per=. A page that is not a whole number of
// at least 1, or a page size outside 100–500, is a bad address (400); a
// page past the last is clamped later, when the count is known.
func parsePager(q url.Values) (pager, error) {
	p := pager{Page: 1, Per: defaultPer}
	if v := strings.TrimSpace(q.Get("page")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return p, fmt.Errorf("page %q is not a page number (1, 2, 3 ...)", v)
		}
		p.Page = n
	}
	if v := strings.TrimSpace(q.Get("per")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < minPer || n > maxPer {
			return p, fmt.Errorf("per %q is not a page size from %d to %d", v, minPer, maxPer)
		}
		p.Per = n
	}
	return p, nil
}

// paginate fixes the page for count rows, clamping a page past the last
// to the last, and returns the bounds of its rows. base is the list's
// address without page=, to which the neighbours' page numbers are added.
func (p *pager) paginate(count int, base url.Values) (lo, hi int) {
	p.Count = count
	p.Pages = max(1, (count+p.Per-1)/p.Per)
	if p.Page > p.Pages {
		p.Asked, p.Page = p.Page, p.Pages
	}
	lo = min(count, (p.Page-1)*p.Per)
	hi = min(count, lo+p.Per)
	if hi > lo {
		p.From, p.To = lo+1, hi
	}
	if p.Page > 1 {
		p.Prev = p.address(base, p.Page-1)
	}
	if p.Page < p.Pages {
		p.Next = p.address(base, p.Page+1)
	}
	return lo, hi
}

// address is the list's address at a page, keeping a page size that is
// not the default.
func (p *pager) address(base url.Values, page int) string {
	q := url.Values{}
	for k, v := range base {
		q[k] = v
	}
	if p.Per != defaultPer {
		q.Set("per", strconv.Itoa(p.Per))
	}
	if page > 1 {
		q.Set("page", strconv.Itoa(page))
	}
	return "/people?" + q.Encode()
}
