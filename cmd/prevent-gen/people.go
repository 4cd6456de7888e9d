package main

import (
	"math/bits"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// Every fact about a person is a pure function of (seed, person index), so
// each output file can be written in one streaming pass over the indices
// without holding anyone in memory, and the files agree with each other.

// Tags keep the independent random streams apart.
const (
	tagPerson uint64 = iota + 1
	tagTrain
	tagLMS
	tagESR
	tagLeave
	tagPromo
	tagEmailBlank
	tagTeam
	tagTeamOrg
	tagEmpNo
	tagNames
	tagCell
	tagExempt
	tagOrder
)

const (
	teamSize       = 16    // people per team; the first is the team leader
	leaveRate      = 0.015 // monthly leavers
	starterRate    = 0.015 // monthly new starters, as a share of -people
	promoRate      = 0.01  // monthly role changes (HCA -> Staff Nurse, ...)
	emailBlankRate = 0.012 // ESR rows with no work email
	empNoBase      = 20000000
	empNoSpace     = 80000000 // employee numbers 20000000..99999999
	mailDomain     = "example.nhs.net"
	outsiders      = 1000 // names reserved for LMS users in no staff extract
)

// mix is the SplitMix64 finaliser: a good 64-bit mixing function.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// hash mixes the generator seed, a stream tag and up to two values.
func (g *gen) hash(tag, a, b uint64) uint64 {
	return mix(mix(mix(g.seed^tag*0x632be59bd9b4e019)^a) ^ b)
}

// unit turns a hash into a float in [0, 1).
func unit(h uint64) float64 { return float64(h>>11) / (1 << 53) }

// rng reseeds the generator's one PCG for (tag, i) and returns its Rand.
// Draws from it are only valid until the next call.
func (g *gen) rng(tag uint64, i int) *rand.Rand {
	g.pcg.Seed(g.hash(tag, 0, 0), uint64(i))
	return g.r
}

// perm is a pseudo-random bijection of [0, n): a 4-round Feistel network on
// the smallest even number of bits covering n, with cycle walking.
type perm struct {
	n    uint64
	half uint
	mask uint64
	key  uint64
}

func newPerm(n, key uint64) perm {
	b := uint(bits.Len64(n - 1))
	if b < 2 {
		b = 2
	}
	b += b & 1
	return perm{n: n, half: b / 2, mask: 1<<(b/2) - 1, key: key}
}

func (p perm) at(x uint64) uint64 {
	for {
		l, r := x>>p.half, x&p.mask
		for k := uint64(0); k < 4; k++ {
			l, r = r, l^(mix(r^mix(p.key+k))&p.mask)
		}
		x = l<<p.half | r
		if x < p.n {
			return x
		}
	}
}

// level is a Prevent training level.
type level int

const (
	none level = iota
	basic
	level3
	faceToFace
	numLevels
)

// name is a person's name and the local part of their NHSmail address.
type name struct {
	First, Last string
	Local       string // "mary.obrien2"
}

// names maps person indices to distinct (first, surname slot, k) triples.
type names struct {
	p     perm
	slots []int // surname slot -> surnames index
	occ   []int // surname slot -> occurrence number of that surname
	maxW  int
}

func newNames(total int, key uint64) names {
	var nm names
	for si, s := range surnames {
		for k := 0; k < s.Weight; k++ {
			nm.slots = append(nm.slots, si)
			nm.occ = append(nm.occ, k)
		}
		nm.maxW = max(nm.maxW, s.Weight)
	}
	combos := uint64(len(firstNames) * len(nm.slots))
	k := (uint64(total) + combos - 1) / combos
	nm.p = newPerm(combos*max(k, 1), key)
	return nm
}

func (nm names) at(i int) name {
	s := nm.p.at(uint64(i))
	f := int(s % uint64(len(firstNames)))
	s /= uint64(len(firstNames))
	slot := int(s % uint64(len(nm.slots)))
	k := int(s / uint64(len(nm.slots)))
	n := name{First: firstNames[f], Last: surnames[nm.slots[slot]].Name}
	n.Local = emailPart(n.First) + "." + emailPart(n.Last)
	if d := k*nm.maxW + nm.occ[slot]; d > 0 {
		n.Local += strconv.Itoa(d + 1)
	}
	return n
}

var accents = strings.NewReplacer("ë", "e", "â", "a", "á", "a", "é", "e", "í", "i", "ó", "o", "ú", "u", "ś", "s")

// emailPart is a name as NHSmail writes it: lower case, accents dropped,
// no apostrophes or spaces, hyphens kept.
func emailPart(s string) string {
	s = accents.Replace(strings.ToLower(s))
	var b strings.Builder
	for _, c := range s {
		if c >= 'a' && c <= 'z' || c == '-' {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// assignment is one ESR assignment of a person in one snapshot.
type assignment struct {
	Suffix   int // 1 for the primary assignment number, 2.. for the others
	Org      *org
	Role     *role
	Category string
	Status   string
	FTE      float64
	Primary  bool
}

// person is everything the extracts say about one person in one month.
type person struct {
	Index      int
	EmpNo      int
	Name       name
	Email      string // ESR work email, "" for a few
	Manager    string // manager's work email
	Hire       time.Time
	PromoMonth int // snapshot index of a role change, 0 for none
	BankFirst  bool
	Asg        []assignment
}

// empNo is the person's 8-digit ESR employee number.
func (g *gen) empNo(i int) int { return empNoBase + int(g.emp.at(uint64(i))) }

// email is the person's ESR work email, "" when ESR has none.
func (g *gen) email(i int) string {
	if unit(g.hash(tagEmailBlank, uint64(i), 0)) < emailBlankRate {
		return ""
	}
	return g.names.at(i).Local + "@" + mailDomain
}

// startMonth is the snapshot a person first appears in.
func (g *gen) startMonth(i int) int {
	if i < g.base {
		return 0
	}
	return 1 + (i-g.base)/max(g.starters, 1)
}

// present reports whether person i is in snapshot m.
func (g *gen) present(i, m int) bool {
	s := g.startMonth(i)
	if s > m {
		return false
	}
	for k := s + 1; k <= m; k++ {
		if unit(g.hash(tagLeave, uint64(i), uint64(k))) < leaveRate {
			return false
		}
	}
	return true
}

// team is the team a person belongs to. Base staff fill teams in index
// order; starters join a random team.
func (g *gen) team(i int) int {
	if i < g.base {
		return i / teamSize
	}
	return int(g.hash(tagTeam, uint64(i), 0) % uint64(g.teams))
}

// teamOrg is the organisation a team sits in.
func (g *gen) teamOrg(t int) int {
	return g.orgPick.pick(unit(g.hash(tagTeamOrg, uint64(t), 0)))
}

// manager is the index of a person's line manager, -1 for none: the team
// leader, or for a leader the leader of the first team in the same
// organisation, or for that one the leader of team 0.
func (g *gen) manager(i int) int {
	t := g.team(i)
	lead := t * teamSize
	if lead != i {
		return lead
	}
	o := g.teamOrg(t)
	for u := 0; u < g.teams; u++ {
		if g.teamOrg(u) == o {
			if u*teamSize != i {
				return u * teamSize
			}
			break
		}
	}
	if i != 0 {
		return 0
	}
	return -1
}

// picker draws an index with probability proportional to its weight.
type picker struct{ cum []float64 }

func newPicker(weights []int) picker {
	var p picker
	total := 0
	for _, w := range weights {
		total += w
	}
	acc := 0
	for _, w := range weights {
		acc += w
		p.cum = append(p.cum, float64(acc)/float64(total))
	}
	return p
}

func (p picker) pick(u float64) int {
	for i, c := range p.cum {
		if u < c {
			return i
		}
	}
	return len(p.cum) - 1
}

// pickRole draws a job role of a staff group allowed in an organisation.
func pickRole(r *rand.Rand, group int, o *org) *role {
	total := 0
	for i := range roles {
		if roleFits(&roles[i], group, o) {
			total += roles[i].Weight
		}
	}
	n := r.IntN(total)
	for i := range roles {
		if roleFits(&roles[i], group, o) {
			if n < roles[i].Weight {
				return &roles[i]
			}
			n -= roles[i].Weight
		}
	}
	panic("unreachable")
}

func roleFits(rl *role, group int, o *org) bool {
	if rl.Group != group {
		return false
	}
	if len(rl.Orgs) == 0 {
		return true
	}
	for _, s := range rl.Orgs {
		if strings.Contains(o.Name, s) {
			return true
		}
	}
	return false
}

// roleByName finds a role by name (the first, for a name in two groups).
func roleByName(n string) *role {
	for i := range roles {
		if roles[i].Name == n {
			return &roles[i]
		}
	}
	panic("no job role " + n)
}

// person fills p with person i as of snapshot m. The draws from the person
// stream happen in a fixed order, so a person is the same in every file.
func (g *gen) person(i, m int, p *person) {
	r := g.rng(tagPerson, i)
	*p = person{Index: i, EmpNo: g.empNo(i), Name: g.names.at(i), Email: g.email(i), Asg: p.Asg[:0]}
	if mi := g.manager(i); mi >= 0 {
		p.Manager = g.email(mi)
	}
	oi := g.teamOrg(g.team(i))
	o := &orgs[oi]

	// The primary assignment.
	var rl *role
	if i < g.base && i%teamSize == 0 {
		rl = roleByName(o.Leader)
	} else {
		rl = pickRole(r, g.groupPick[oi].pick(r.Float64()), o)
	}
	if start := g.startMonth(i); start == 0 {
		// Tenure: mostly a few years, some decades.
		days := 30 + int(r.ExpFloat64()*8*365)
		p.Hire = g.snaps[0].AddDate(0, 0, -min(days, 40*365))
	} else {
		prev, cur := g.snaps[start-1], g.snaps[start]
		span := int(cur.Sub(prev).Hours() / 24)
		p.Hire = prev.AddDate(0, 0, 1+r.IntN(max(span, 1)))
	}
	cat, fte := primaryCategory(r, rl)
	status := pickStatus(r)
	p.Asg = append(p.Asg, assignment{Suffix: 1, Org: o, Role: rl, Category: cat, Status: status, FTE: fte, Primary: true})

	// Bank assignments: ~16% hold one, ~2% two.
	nBank := 0
	if u := r.Float64(); u < 0.02 {
		nBank = 2
	} else if u < 0.18 {
		nBank = 1
	}
	if cat == "Bank" || rl.Group == gSupplementary || rl.Group == gStudents {
		nBank = 0
	}
	for k := 0; k < nBank; k++ {
		// Bank work is the same job, often in another division.
		bo := &orgs[g.orgPick.pick(r.Float64())]
		if !roleFits(rl, rl.Group, bo) || r.IntN(3) == 0 {
			bo = o
		}
		st := "Active Assignment"
		if r.Float64() < 0.04 {
			st = "Terminate Assignment"
		}
		p.Asg = append(p.Asg, assignment{Suffix: k + 2, Org: bo, Role: rl, Category: "Bank", Status: st})
	}
	p.BankFirst = nBank > 0 && r.Float64() < 0.05

	// A role change in a later month, for roles with somewhere to go.
	if rl.Next != "" {
		for k := 1; k < len(g.snaps); k++ {
			if unit(g.hash(tagPromo, uint64(i), uint64(k))) < promoRate {
				p.PromoMonth = k
				break
			}
		}
	}
	if p.PromoMonth > 0 && m >= p.PromoMonth {
		next := roleByName(rl.Next)
		p.Asg[0].Role = next
		if next.Group == gNursing && rl.Group != gNursing {
			p.Asg[0].Category = "Permanent"
			p.Asg[0].FTE = 1
		}
	}
}

// primaryCategory draws the assignment category and FTE of a primary
// assignment.
func primaryCategory(r *rand.Rand, rl *role) (string, float64) {
	switch {
	case rl.Group == gSupplementary && rl.Name != "Chaplain":
		return "Non-Exec Director/Chair", 0
	case rl.Group == gStudents || strings.HasPrefix(rl.Name, "Foundation") || rl.Name == "Core Training":
		return "Fixed Term Temp", 1
	}
	u := r.Float64()
	switch {
	case u < 0.05:
		return "Bank", 0
	case u < 0.14:
		return "Fixed Term Temp", ftes[r.IntN(len(ftes))]
	}
	return "Permanent", ftes[r.IntN(len(ftes))]
}

var ftes = []float64{1, 1, 1, 1, 1, 1, 0.8, 0.8, 0.6, 0.5, 0.4, 0.93}

func pickStatus(r *rand.Rand) string {
	n := r.IntN(1000)
	for _, s := range assignmentStatuses {
		if n < s.Weight {
			return s.Name
		}
		n -= s.Weight
	}
	return assignmentStatuses[0].Name
}

// requires is the level the demo's TNA (prevent.example.yaml) gives an
// assignment: safeguarding and Prevent leads and named nurses face to face;
// doctors, registered nurses, paramedics and AHPs in mental health or
// emergency care level 3; everyone else basic. The generator aims its
// compliance figures at these groups.
func requires(a *assignment) level {
	rl := a.Role
	switch {
	case strings.HasPrefix(rl.Name, "Safeguarding") || rl.Name == "Prevent Lead" ||
		strings.HasPrefix(rl.Name, "Named Nurse"):
		return faceToFace
	case rl.Group == gMedical || rl.Group == gNursing || strings.Contains(rl.Name, "Paramedic"):
		return level3
	case rl.Group == gAHP && (strings.Contains(a.Org.Name, "Mental Health") || strings.Contains(a.Org.Name, "Emergency")):
		return level3
	}
	return basic
}

// trainsTo is the level a person trains to: the highest their assignments
// require.
func trainsTo(p *person) level {
	l := basic
	for k := range p.Asg {
		l = max(l, requires(&p.Asg[k]))
	}
	return l
}

// primaryFlag renders the Primary column.
func primaryFlag(a *assignment, yes, no string) string {
	if a.Primary {
		return yes
	}
	return no
}

// assignmentNumber is ESR's assignment number: the employee number for the
// first assignment, with -2, -3 ... for the others.
func assignmentNumber(empNo, suffix int) string {
	s := strconv.Itoa(empNo)
	if suffix > 1 {
		s += "-" + strconv.Itoa(suffix)
	}
	return s
}

// positionTitle is the ESR position title of an assignment.
func positionTitle(a *assignment) string {
	rl := a.Role
	switch {
	case rl.Group == gMedical && a.Org.Specialty != "":
		return rl.Name + ", " + a.Org.Specialty
	case rl.Band != "":
		return rl.Name + " " + rl.Band
	}
	return rl.Name
}
