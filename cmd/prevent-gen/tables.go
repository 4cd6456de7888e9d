package main

// The generator's reference data: names, organisations, staff groups, job
// roles and courses. Everything here is a fixed table; the code in the other
// files only picks from it.

// Staff groups: the ten NHS staff groups, in the order the org weights use.
const (
	gNursing = iota
	gAddClinical
	gAdmin
	gAHP
	gMedical
	gEstates
	gAddProf
	gScientists
	gStudents
	gSupplementary
	numGroups
)

var groupNames = [numGroups]string{
	"Nursing and Midwifery Registered",
	"Additional Clinical Services",
	"Administrative and Clerical",
	"Allied Health Professionals",
	"Medical and Dental",
	"Estates and Ancillary",
	"Additional Professional Scientific and Technical",
	"Healthcare Scientists",
	"Students",
	"Supplementary Roles",
}

// org is an ESR organisation (the division a team sits in) with its Org L3
// parent, its share of the workforce and the mix of staff groups in it.
type org struct {
	Name      string
	L3        string
	Weight    int
	Groups    [numGroups]int // relative weights, indexed by staff group
	Specialty string         // for doctors' position titles
	Leader    string         // job role of a team leader here
}

// orgs weights are chosen so that the trust-wide staff group mix is about
// Nursing 26%, Additional Clinical 19%, Admin 20%, AHP 8%, Medical 9%,
// Estates 8%, Add Prof Sci 4.5%, Scientists 1.6%, Students 2%, Supplementary 1%.
var orgs = []org{
	{"RXX Emergency Department", "RXX Unscheduled Care Division", 9,
		[numGroups]int{42, 20, 9, 5, 20, 2, 1, 0, 1, 0}, "Emergency Medicine", "Sister/Charge Nurse"},
	{"RXX Medicine Division", "RXX Unscheduled Care Division", 16,
		[numGroups]int{36, 26, 12, 6, 14, 2, 2, 0, 2, 0}, "General Medicine", "Sister/Charge Nurse"},
	{"RXX Surgery Division", "RXX Planned Care Division", 16,
		[numGroups]int{32, 22, 14, 6, 16, 2, 4, 1, 3, 0}, "General Surgery", "Sister/Charge Nurse"},
	{"RXX Women and Children", "RXX Women, Children and Families Division", 9,
		[numGroups]int{44, 20, 12, 4, 14, 1, 1, 0, 4, 0}, "Obstetrics and Gynaecology", "Sister/Charge Nurse"},
	{"RXX Mental Health Division", "RXX Mental Health and Learning Disabilities", 11,
		[numGroups]int{30, 30, 10, 10, 7, 1, 10, 0, 2, 0}, "General Psychiatry", "Sister/Charge Nurse"},
	{"RXX Adult Community Services", "RXX Community Division", 12,
		[numGroups]int{28, 24, 14, 22, 3, 2, 4, 0, 3, 0}, "Community Medicine", "Team Leader"},
	{"RXX Clinical Support Services", "RXX Planned Care Division", 8,
		[numGroups]int{5, 18, 16, 22, 4, 2, 15, 18, 0, 0}, "Clinical Radiology", "Manager"},
	{"RXX Corporate Services", "RXX Corporate Directorate", 12,
		[numGroups]int{4, 1, 78, 0, 0, 6, 5, 0, 0, 6}, "Medical Director's Office", "Manager"},
	{"RXX Estates and Facilities", "RXX Corporate Directorate", 7,
		[numGroups]int{0, 0, 12, 0, 0, 88, 0, 0, 0, 0}, "", "Supervisor"},
}

// role is an ESR job role. Orgs, when given, are the only organisations the
// role appears in (name substrings). Next is the role a promotion leads to.
type role struct {
	Name   string
	Group  int
	Code   string // ESR occupation code
	Band   string // Agenda for Change band for the position title, "" for none
	Weight int
	Orgs   []string
	Next   string
}

var roles = []role{
	// Nursing and Midwifery Registered
	{"Staff Nurse", gNursing, "N1C", "Band 5", 500, nil, "Sister/Charge Nurse"},
	{"Sister/Charge Nurse", gNursing, "N1B", "Band 6", 140, nil, ""},
	{"Midwife", gNursing, "N6C", "Band 6", 300, []string{"Women"}, ""},
	{"Community Nurse", gNursing, "N2C", "Band 5", 220, []string{"Community"}, ""},
	{"Specialist Nurse Practitioner", gNursing, "N1H", "Band 7", 60, nil, ""},
	{"Advanced Nurse Practitioner", gNursing, "N1J", "Band 8a", 30, nil, ""},
	{"Modern Matron", gNursing, "N0E", "Band 8a", 20, nil, ""},
	{"Nurse Manager", gNursing, "N0A", "Band 7", 20, nil, ""},
	{"Safeguarding Lead", gNursing, "N1L", "Band 8a", 12, nil, ""},
	{"Safeguarding Practitioner", gNursing, "N1K", "Band 7", 40, nil, ""},
	{"Named Nurse Safeguarding Children", gNursing, "N1M", "Band 8a", 40, []string{"Women", "Community"}, ""},
	{"Prevent Lead", gNursing, "N1P", "Band 8a", 10, []string{"Corporate", "Mental Health"}, ""},
	// Additional Clinical Services
	{"Healthcare Assistant", gAddClinical, "H1A", "Band 2", 550, nil, "Staff Nurse"},
	{"Support Worker", gAddClinical, "H1C", "Band 3", 200, nil, ""},
	{"Assistant Practitioner", gAddClinical, "H2A", "Band 4", 80, nil, ""},
	{"Maternity Support Worker", gAddClinical, "H6A", "Band 3", 200, []string{"Women"}, ""},
	{"Nursery Nurse", gAddClinical, "H6B", "Band 4", 40, []string{"Women"}, ""},
	{"Phlebotomist", gAddClinical, "H3A", "Band 2", 50, []string{"Support", "Medicine", "Community"}, ""},
	{"Therapy Support Worker", gAddClinical, "H4A", "Band 3", 60, []string{"Community", "Mental Health"}, ""},
	// Administrative and Clerical
	{"Administrator", gAdmin, "G1A", "Band 3", 350, nil, ""},
	{"Clerical Worker", gAdmin, "G1B", "Band 2", 150, nil, ""},
	{"Receptionist", gAdmin, "G1C", "Band 2", 120, nil, ""},
	{"Medical Secretary", gAdmin, "G1D", "Band 4", 120, []string{"Emergency", "Medicine", "Surgery", "Women", "Mental Health", "Support"}, ""},
	{"Ward Clerk", gAdmin, "G1E", "Band 2", 60, []string{"Emergency", "Medicine", "Surgery", "Women"}, ""},
	{"Team Leader", gAdmin, "G2A", "Band 5", 40, nil, ""},
	{"Manager", gAdmin, "G2B", "Band 7", 80, nil, ""},
	{"Senior Manager", gAdmin, "G2C", "Band 8b", 30, nil, ""},
	{"Director", gAdmin, "G3A", "", 6, []string{"Corporate"}, ""},
	{"Safeguarding Administrator", gAdmin, "G1S", "Band 3", 10, nil, ""},
	{"Prevent Lead", gAdmin, "G2P", "Band 7", 20, []string{"Corporate"}, ""},
	// Allied Health Professionals
	{"Physiotherapist", gAHP, "S1A", "Band 6", 250, nil, ""},
	{"Occupational Therapist", gAHP, "S2A", "Band 6", 220, nil, ""},
	{"Paramedic", gAHP, "S9A", "Band 6", 120, []string{"Emergency", "Community"}, ""},
	{"Radiographer - Diagnostic", gAHP, "S4A", "Band 5", 250, []string{"Support", "Emergency"}, ""},
	{"Speech and Language Therapist", gAHP, "S3A", "Band 6", 80, nil, ""},
	{"Dietitian", gAHP, "S5A", "Band 6", 70, nil, ""},
	{"Podiatrist", gAHP, "S6A", "Band 6", 50, []string{"Community"}, ""},
	{"Operating Department Practitioner", gAHP, "S8A", "Band 5", 150, []string{"Surgery", "Women"}, ""},
	// Medical and Dental
	{"Consultant", gMedical, "M1A", "", 380, nil, ""},
	{"Specialty Registrar", gMedical, "M2A", "", 280, nil, "Consultant"},
	{"Specialty Doctor", gMedical, "M3A", "", 140, nil, ""},
	{"Foundation Year 1", gMedical, "M4A", "", 60, nil, "Foundation Year 2"},
	{"Foundation Year 2", gMedical, "M4B", "", 60, nil, ""},
	{"Core Training", gMedical, "M2C", "", 50, nil, "Specialty Registrar"},
	{"Associate Specialist", gMedical, "M3B", "", 30, nil, ""},
	// Estates and Ancillary
	{"Porter", gEstates, "E1A", "Band 2", 250, nil, ""},
	{"Domestic", gEstates, "E1B", "Band 2", 300, nil, ""},
	{"Catering Assistant", gEstates, "E1C", "Band 2", 120, nil, ""},
	{"Housekeeper", gEstates, "E1D", "Band 2", 60, nil, ""},
	{"Maintenance Craftsperson", gEstates, "E2A", "Band 4", 100, []string{"Estates"}, ""},
	{"Security Officer", gEstates, "E2B", "Band 3", 60, []string{"Estates", "Emergency"}, ""},
	{"Driver", gEstates, "E2C", "Band 2", 50, nil, ""},
	{"Supervisor", gEstates, "E3A", "Band 4", 60, nil, ""},
	// Additional Professional Scientific and Technical
	{"Pharmacist", gAddProf, "P1A", "Band 7", 250, nil, ""},
	{"Pharmacy Technician", gAddProf, "P2A", "Band 5", 200, nil, ""},
	{"Clinical Psychologist", gAddProf, "P3A", "Band 8a", 200, []string{"Mental Health", "Community", "Women"}, ""},
	{"Assistant Psychologist", gAddProf, "P3B", "Band 4", 80, []string{"Mental Health"}, ""},
	{"Counsellor", gAddProf, "P4A", "Band 6", 80, nil, ""},
	{"Technician", gAddProf, "P5A", "Band 4", 100, nil, ""},
	// Healthcare Scientists
	{"Biomedical Scientist", gScientists, "B1A", "Band 6", 400, nil, ""},
	{"Healthcare Science Practitioner", gScientists, "B2A", "Band 5", 250, nil, ""},
	{"Clinical Scientist", gScientists, "B3A", "Band 7", 150, nil, ""},
	{"Healthcare Science Assistant", gScientists, "B4A", "Band 3", 200, nil, ""},
	// Students
	{"Student Nurse", gStudents, "T1A", "", 600, nil, "Staff Nurse"},
	{"Student Midwife", gStudents, "T1B", "", 300, []string{"Women"}, "Midwife"},
	{"Student Operating Department Practitioner", gStudents, "T1C", "", 100, []string{"Surgery"}, ""},
	{"Apprentice", gStudents, "T2A", "Band 2", 100, nil, ""},
	// Supplementary Roles
	{"Non Executive Director", gSupplementary, "Z1A", "", 60, []string{"Corporate"}, ""},
	{"Chair", gSupplementary, "Z1B", "", 10, []string{"Corporate"}, ""},
	{"Chaplain", gSupplementary, "Z2A", "", 30, nil, ""},
}

// First names: one entry each. Every name must give a distinct email part.
var firstNames = []string{
	"Olivia", "Amelia", "Isla", "Ava", "Emily", "Sophie", "Grace", "Lily", "Freya", "Chloe",
	"Charlotte", "Ella", "Ruby", "Jessica", "Hannah", "Sarah", "Emma", "Laura", "Rebecca", "Rachel",
	"Claire", "Helen", "Nicola", "Karen", "Julie", "Susan", "Amanda", "Joanne", "Lisa", "Michelle",
	"Kelly", "Gemma", "Natalie", "Victoria", "Katie", "Lucy", "Amy", "Megan", "Zoë", "Siân",
	"Niamh", "Aoife", "Siobhan", "Catriona", "Eilidh", "Rhiannon", "Bethan", "Ffion", "Priya", "Aisha",
	"Fatima", "Maryam", "Zainab", "Ayesha", "Anjali", "Deepa", "Sunita", "Nisha", "Chidinma", "Ngozi",
	"Funmilayo", "Adaeze", "Abena", "Agnieszka", "Katarzyna", "Maria", "Ana", "Elena", "Ioana", "Mei",
	"Rosa", "Mary-Jane", "Anne-Marie", "Jo", "Bernadette", "Margaret", "Patricia", "Linda", "Denise", "Tracey",
	"Donna", "Sharon", "Dawn", "Pauline", "Janet", "Oliver", "George", "Harry", "Noah", "Jack",
	"Charlie", "Jacob", "Thomas", "James", "William", "Daniel", "Matthew", "David", "Michael", "Christopher",
	"Andrew", "Paul", "Mark", "Richard", "Stephen", "Peter", "John", "Robert", "Simon", "Gareth",
	"Rhys", "Dylan", "Callum", "Jamie", "Ryan", "Liam", "Connor", "Seán", "Ciarán", "Eoin",
	"Declan", "Fraser", "Hamish", "Ewan", "Mohammed", "Muhammad", "Ahmed", "Imran", "Hassan", "Omar",
	"Yusuf", "Arjun", "Rajesh", "Sanjay", "Vikram", "Ravi", "Amit", "Chinedu", "Emeka", "Oluwaseun",
	"Kwame", "Kofi", "Tunde", "Piotr", "Tomasz", "Marek", "Andrei", "Luca", "Marco", "Wei",
	"Jean-Paul", "Kieran", "Nathan", "Luke", "Adam", "Samuel", "Benjamin", "Joseph", "Alexander", "Edward",
	"Henry", "Alfie", "Ethan", "Lewis", "Scott", "Craig", "Darren", "Wayne", "Neil", "Ian",
	"Graham", "Kevin", "Trevor",
}

// surname is a last name with its relative frequency: a common surname takes
// several slots, and a person in its second slot gets an email with a digit
// (john.smith2@...), as NHSmail does for namesakes.
type surname struct {
	Name   string
	Weight int
}

var surnames = []surname{
	{"Smith", 5}, {"Jones", 4}, {"Williams", 3}, {"Taylor", 3}, {"Brown", 3}, {"Davies", 3},
	{"Evans", 2}, {"Wilson", 2}, {"Thomas", 2}, {"Johnson", 2}, {"Roberts", 2}, {"Patel", 3},
	{"Khan", 2}, {"Singh", 2}, {"Robinson", 1}, {"Thompson", 1}, {"Wright", 1}, {"Walker", 1},
	{"White", 1}, {"Edwards", 1}, {"Hughes", 1}, {"Green", 1}, {"Hall", 1}, {"Lewis", 1},
	{"Harris", 1}, {"Clarke", 1}, {"Jackson", 1}, {"Wood", 1}, {"Turner", 1}, {"Martin", 1},
	{"Cooper", 1}, {"Hill", 1}, {"Ward", 1}, {"Morris", 1}, {"Moore", 1}, {"Clark", 1},
	{"Lee", 1}, {"King", 1}, {"Baker", 1}, {"Harrison", 1}, {"Morgan", 1}, {"Allen", 1},
	{"James", 1}, {"Scott", 1}, {"Phillips", 1}, {"Watson", 1}, {"Davis", 1}, {"Parker", 1},
	{"Price", 1}, {"Bennett", 1}, {"Young", 1}, {"Griffiths", 1}, {"Mitchell", 1}, {"Kelly", 1},
	{"Cook", 1}, {"Carter", 1}, {"Richardson", 1}, {"Bailey", 1}, {"Collins", 1}, {"Bell", 1},
	{"Shaw", 1}, {"Murphy", 1}, {"Miller", 1}, {"Cox", 1}, {"Richards", 1}, {"Marshall", 1},
	{"Anderson", 1}, {"Simpson", 1}, {"Ellis", 1}, {"Adams", 1}, {"Begum", 1}, {"Wilkinson", 1},
	{"Foster", 1}, {"Chapman", 1}, {"Powell", 1}, {"Webb", 1}, {"Rogers", 1}, {"Gray", 1},
	{"Mason", 1}, {"Ali", 1}, {"Hunt", 1}, {"Hussain", 1}, {"Campbell", 1}, {"Matthews", 1},
	{"Owen", 1}, {"Palmer", 1}, {"Holmes", 1}, {"Mills", 1}, {"Barnes", 1}, {"Knight", 1},
	{"Lloyd", 1}, {"Butler", 1}, {"Russell", 1}, {"Barker", 1}, {"Fisher", 1}, {"Stevens", 1},
	{"Jenkins", 1}, {"Dixon", 1}, {"Fletcher", 1}, {"Howard", 1}, {"Pearson", 1}, {"Reid", 1},
	{"Ahmed", 1}, {"Shah", 1}, {"Kaur", 1}, {"Rahman", 1}, {"Chowdhury", 1}, {"Akhtar", 1},
	{"Iqbal", 1}, {"Mahmood", 1}, {"Sharma", 1}, {"Gupta", 1}, {"Kumar", 1}, {"Desai", 1},
	{"Mistry", 1}, {"D'Souza", 1}, {"Fernandes", 1}, {"Pereira", 1}, {"O'Brien", 1}, {"O'Connor", 1},
	{"O'Neill", 1}, {"O'Sullivan", 1}, {"O'Reilly", 1}, {"O'Donnell", 1}, {"McDonald", 1}, {"McCarthy", 1},
	{"MacLeod", 1}, {"MacKenzie", 1}, {"McLaughlin", 1}, {"Fitzgerald", 1}, {"Doherty", 1}, {"Gallagher", 1},
	{"Quinn", 1}, {"Byrne", 1}, {"Ryan", 1}, {"Walsh", 1}, {"Okafor", 1}, {"Adeyemi", 1},
	{"Okonkwo", 1}, {"Mensah", 1}, {"Owusu", 1}, {"Boateng", 1}, {"Adebayo", 1}, {"Nwosu", 1},
	{"Asante", 1}, {"Nowak", 1}, {"Kowalczyk", 1}, {"Wiśniewski", 1}, {"Nguyen", 1}, {"Chen", 1},
	{"Wang", 1}, {"Zhang", 1}, {"Santos", 1}, {"Silva", 1}, {"Rossi", 1}, {"Van der Merwe", 1},
	{"Le Roux", 1}, {"Smith-Jones", 1}, {"Taylor-Brown", 1}, {"Lloyd-Davies", 1}, {"Jones-Parry", 1},
	{"Hughes-Williams", 1}, {"Ashton-Clarke", 1},
}

// course is a mandatory (statutory) course as the LMS and the ESR competence
// report name it. Years is the refresher period ESR puts in the competence
// name and uses for the expiry date.
type course struct {
	LMS    string
	ESR    string
	Years  int
	Weight int // share of the non-Prevent history
}

// mandatory are the non-Prevent core skills courses: only history filler
// for this tool, and the reason a course-name rule must not be "*Prevent*"
// (Infection Prevention and Control).
var mandatory = []course{
	{"Fire Safety", "NHS|CSTF|Fire Safety - 2 Years|", 2, 14},
	{"Infection Prevention and Control Level 1", "NHS|CSTF|Infection Prevention and Control - Level 1 - 3 Years|", 3, 10},
	{"Infection Prevention and Control Level 2", "NHS|CSTF|Infection Prevention and Control - Level 2 - 1 Year|", 1, 8},
	{"Information Governance and Data Security", "NHS|CSTF|Data Security Awareness - Level 1 - 1 Year|", 1, 16},
	{"Moving and Handling Level 1", "NHS|CSTF|Moving and Handling - Level 1 - 3 Years|", 3, 8},
	{"Moving and Handling Level 2", "NHS|CSTF|Moving and Handling - Level 2 - 2 Years|", 2, 5},
	{"Equality Diversity and Human Rights", "NHS|CSTF|Equality, Diversity and Human Rights - 3 Years|", 3, 7},
	{"Health Safety and Welfare", "NHS|CSTF|Health, Safety and Welfare - 3 Years|", 3, 7},
	{"Conflict Resolution", "NHS|CSTF|Conflict Resolution - 3 Years|", 3, 5},
	{"Safeguarding Adults Level 2", "NHS|CSTF|Safeguarding Adults - Level 2 - 3 Years|", 3, 7},
	{"Safeguarding Children Level 2", "NHS|CSTF|Safeguarding Children - Level 2 - 3 Years|", 3, 6},
	{"Basic Life Support", "NHS|CSTF|Resuscitation - Level 2 - Adult Basic Life Support - 1 Year|", 1, 9},
	{"Oliver McGowan Mandatory Training on Learning Disability and Autism", "NHS|MAND|Oliver McGowan Tier 1 - 3 Years|", 3, 3},
}

// preventCourses are the Prevent courses per level (index by level).
var preventCourses = [numLevels]course{
	basic:      {"Preventing Radicalisation - Basic Prevent Awareness", "NHS|CSTF|Preventing Radicalisation - Basic Prevent Awareness - 3 Years|", 3, 0},
	level3:     {"Preventing Radicalisation - Level 3", "NHS|MAND|Prevent Level 3 - 3 Years|", 3, 0},
	faceToFace: {"Prevent WRAP Face to Face Session", "", 3, 0},
}

// preventVariants are how LMS rows sometimes spell the Prevent courses:
// same course, different case and spacing.
var preventVariants = [numLevels][]string{
	basic: {
		"preventing radicalisation -  basic prevent awareness",
		"PREVENTING RADICALISATION - BASIC PREVENT AWARENESS",
		"Preventing Radicalisation - Basic Prevent Awareness ",
		"Preventing  Radicalisation - Basic Prevent Awareness",
	},
	level3: {
		"preventing radicalisation - level 3",
		"Preventing Radicalisation -  Level 3",
		"PREVENTING RADICALISATION - LEVEL 3",
	},
	faceToFace: {
		"Prevent WRAP  Face to Face Session",
		"prevent wrap face to face session",
	},
}

// badDates are completion dates an LMS really exports and no parser should
// accept.
var badDates = []string{"31/02/2025", "n/a", "29/02/2025", "13/13/2024", "TBC"}

// assignmentStatuses for primary assignments, with weights per mille.
var assignmentStatuses = []struct {
	Name   string
	Weight int
}{
	{"Active Assignment", 962},
	{"Suspend Assignment", 15},
	{"Acting Up", 8},
	{"Internal Secondment", 8},
	{"Out on External Secondment - Paid", 7},
}
