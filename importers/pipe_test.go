//go:build unix

package importers

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/nhs-prevent/prevent/internal/compliance"
)

// A named pipe (as `prevent import staff <(unzip -p export.zip)` gives) is
// read whole: its content is spooled, hashed and read like a file's. A
// device is refused.
func TestReadFromPipe(t *testing.T) {
	path := filepath.Join(t.TempDir(), "staff.csv")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("cannot make a named pipe here: %v", err)
	}
	content := "Employee Number,Full Name,Organisation,Staff Group\n1,\"A, B\",Ward,Admin and Clerical\n2,\"C, D\",Ward,Admin and Clerical\n"
	go func() {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		defer f.Close()
		_, _ = f.WriteString(content)
	}()
	x, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	hash, err := x.SHA256()
	if err != nil || hash != HashOf(content) {
		t.Errorf("hash %s, %v; want the content's %s", hash, err, HashOf(content))
	}
	var people []string
	if _, err := x.ReadStaff(Options{}, func(a compliance.Assignment) error {
		people = append(people, a.EmployeeNumber)
		return nil
	}); err != nil || strings.Join(people, ",") != "1,2" {
		t.Errorf("rows %v, %v", people, err)
	}

	if _, err := Open("/dev/null", Options{}); err == nil || !strings.Contains(err.Error(), "is a device or socket, not a file") {
		t.Errorf("/dev/null: %v", err)
	}
}
