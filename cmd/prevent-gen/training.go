package main

import (
	"math/rand/v2"
	"time"
)

// targetRate is the chance a person is in date (compliant or due soon) for
// the level they train to, on the last snapshot's date. New starters and
// people just promoted into a higher level do worse, which the small margin
// over the aimed-for figures (86%, 78%, 70%) makes up.
var targetRate = [numLevels]float64{basic: 0.87, level3: 0.79, faceToFace: 0.71}

// expiredShare is the share of the people out of date who trained once but
// lapsed (the rest never trained at their level).
const expiredShare = 0.75

// lmsShare is the share of e-learning Prevent completions recorded in the
// LMS; the rest are recorded in ESR only. mirrorShare of the LMS ones also
// reach ESR through the LMS-ESR interface.
const (
	lmsShare    = 0.8
	mirrorShare = 0.12
)

const day = 24 * time.Hour

// event is one Prevent completion in a person's history and where it is
// recorded.
type event struct {
	Level    level
	Date     time.Time
	LMS, ESR bool
}

// plan is person p's Prevent training history, p as of the last snapshot.
func (g *gen) plan(p *person, out []event) []event {
	asOf := g.asOf
	lvl := trainsTo(p)
	promoted := p.PromoMonth > 0 && lvl > g.levelBefore(p) // before r: it reseeds
	r := g.rng(tagTrain, p.Index)
	earliest := later(p.Hire, asOf.AddDate(-5, 0, 0)) // history goes back five years
	earliestLvl := earliest
	rate := targetRate[lvl]
	if asOf.Sub(p.Hire) < 60*day {
		rate /= 2 // starters are still booking their induction courses
	}
	if promoted {
		rate = 0.35 // just promoted: few have done the higher course yet
		earliestLvl = later(earliest, g.snaps[p.PromoMonth-1].AddDate(0, 0, 1))
	}
	threeAgo := asOf.AddDate(-3, 0, 0) // completed on or after this: in date
	u := r.Float64()
	var last time.Time // the latest completion at the level, zero for none
	switch {
	case u < rate:
		last = between(r, later(earliestLvl, threeAgo), asOf)
	case u < rate+(1-rate)*expiredShare:
		if hi := threeAgo.AddDate(0, 0, -1); !hi.Before(earliestLvl) {
			last = between(r, earliestLvl, hi)
		}
	}
	if !last.IsZero() {
		out = append(out, event{Level: lvl, Date: last})
		// Earlier refreshers and annual updates, one to three years apart.
		for d := last; r.Float64() < 0.85; {
			d = d.AddDate(0, 0, -365-r.IntN(2*365))
			if d.Before(earliestLvl) {
				break
			}
			out = append(out, event{Level: lvl, Date: d})
		}
	}
	// Lower levels do not count for the required one, but people do them.
	if lvl >= level3 && r.Float64() < 0.6 {
		out = append(out, event{Level: basic, Date: between(r, earliest, asOf)})
	}
	if lvl == faceToFace && r.Float64() < 0.6 {
		out = append(out, event{Level: level3, Date: between(r, earliest, asOf)})
	}
	for k := range out {
		routeEvent(r, &out[k])
	}
	return out
}

// routeEvent decides which extract records a completion. Face-to-face
// sessions are booked through the LMS; e-learning lands in either.
func routeEvent(r *rand.Rand, e *event) {
	if e.Level == faceToFace || r.Float64() < lmsShare {
		e.LMS = true
		e.ESR = e.Level != faceToFace && r.Float64() < mirrorShare
		return
	}
	e.ESR = true
}

// levelBefore is the level person p trained to before their role change.
func (g *gen) levelBefore(p *person) level {
	var q person
	g.person(p.Index, p.PromoMonth-1, &q)
	return trainsTo(&q)
}

// between draws a day in [lo, hi]; hi when the range is empty.
func between(r *rand.Rand, lo, hi time.Time) time.Time {
	days := int(hi.Sub(lo) / day)
	if days <= 0 {
		return hi
	}
	return lo.AddDate(0, 0, r.IntN(days+1))
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// historyStart is the first day a person can have completed anything.
func (g *gen) historyStart(p *person) time.Time {
	return later(p.Hire, g.asOf.AddDate(-5, 0, 0))
}
