package importers

import "github.com/nhs-prevent/prevent/internal/compliance"

// Extract is a file opened once for an import: its SHA-256 and its rows
// come through the same handle, so what is hashed is the file that is
// read, and a workbook's zip directory is read once. Nothing past the size
// the file had when opened is read, and a read fails with a *FileError
// when the file changed while it was read: what was hashed is what was
// read.
//
// The content is read twice, once to hash it and once for its rows: the
// hash must be known before the rows (an import skips content imported
// before, and records the hash as it starts), and holding a workbook in
// memory between the two saved no time (the second read comes from the
// page cache) while adding twice the file's size to the peak memory.
//
// The Limits and RegularOnly of the Options given to Open hold for every
// read; those of a read's own Options are not looked at. An Extract is not
// for use by two goroutines at once.
type Extract struct {
	in *input
}

// Open opens a file for import: a regular file only with opt.RegularOnly
// (a drop folder), as OpenRegular does. Its content is not read until
// SHA256 or a read asks for it.
func Open(path string, opt Options) (*Extract, error) {
	in, err := openPath(path, opt.Limits, opt.RegularOnly)
	if err != nil {
		return nil, err
	}
	return &Extract{in: in}, nil
}

// Close closes the file.
func (x *Extract) Close() error {
	x.in.close()
	return nil
}

// SHA256 returns the hex SHA-256 of the file content, as FileHash does.
func (x *Extract) SHA256() (string, error) { return x.in.sha256() }

// ReadStaff is ReadStaff on the opened file.
func (x *Extract) ReadStaff(opt Options, emit func(compliance.Assignment) error) (Summary, error) {
	return x.in.readStaff(opt, emit)
}

// ReadCompletions is ReadCompletions on the opened file.
func (x *Extract) ReadCompletions(opt Options, emit func(CompletionRow) error) (Summary, error) {
	return x.in.readCompletions(opt, emit)
}

// ReadExemptions is ReadExemptions on the opened file.
func (x *Extract) ReadExemptions(opt Options, emit func(ExemptionRow) error) (Summary, error) {
	return x.in.readExemptions(opt, emit)
}

// ReadReferrals is ReadReferrals on the opened file.
func (x *Extract) ReadReferrals(opt Options, emit func(ReferralRow) error) (Summary, error) {
	return x.in.readReferrals(opt, emit)
}

// ReadMeetings is ReadMeetings on the opened file.
func (x *Extract) ReadMeetings(opt Options, emit func(MeetingRow) error) (Summary, error) {
	return x.in.readMeetings(opt, emit)
}

// readPath opens a file, reads it with read and closes it.
func readPath(path string, opt Options, read func(*input) (Summary, error)) (Summary, error) {
	in, err := openPath(path, opt.Limits, opt.RegularOnly)
	if err != nil {
		return Summary{}, err
	}
	defer in.close()
	return read(in)
}
