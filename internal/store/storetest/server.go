package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"syscall"
	"time"
)

// server is a throwaway PostgreSQL cluster in a temporary folder.
type server struct {
	dir    string
	cmd    *exec.Cmd
	exited chan struct{}
}

// findInitdb looks for initdb on PATH, then under /usr/lib/postgresql (the
// Debian layout, newest version first).
func findInitdb() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		// postgres sits beside the real initdb, not beside a symlink to it.
		if real, err := filepath.EvalSymlinks(p); err == nil {
			return real, nil
		}
		return p, nil
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Slice(matches, func(i, j int) bool { return version(matches[i]) > version(matches[j]) })
	if len(matches) > 0 {
		return matches[0], nil
	}
	return "", errors.New("no initdb on PATH or under /usr/lib/postgresql/*/bin")
}

func version(initdb string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return v
}

// startServer initialises a cluster in a temporary folder, starts it on a
// free port and returns it with its DSN. PostgreSQL refuses to run as root,
// so as root it runs as the user postgres.
func startServer() (*server, string, error) {
	initdb, err := findInitdb()
	if err != nil {
		return nil, "", err
	}
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, "", errors.New("running as root and there is no postgres user to run a throwaway server as")
		}
		uid, _ := strconv.ParseUint(u.Uid, 10, 32)
		gid, _ := strconv.ParseUint(u.Gid, 10, 32)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	dir, err := os.MkdirTemp("", "prevent-pg-")
	if err != nil {
		return nil, "", err
	}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			os.RemoveAll(dir)
			return nil, "", err
		}
	}
	data := filepath.Join(dir, "data")
	var out bytes.Buffer
	cmd := exec.Command(initdb, "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync")
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if err := cmd.Run(); err != nil {
		os.RemoveAll(dir)
		return nil, "", fmt.Errorf("initdb failed: %v: %s", err, out.Bytes())
	}
	port, err := freePort()
	if err != nil {
		os.RemoveAll(dir)
		return nil, "", err
	}
	logFile, err := os.Create(filepath.Join(dir, "postgres.log"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, "", err
	}
	defer logFile.Close()
	cmd = exec.Command(filepath.Join(filepath.Dir(initdb), "postgres"), "-D", data, "-p", strconv.Itoa(port),
		"-k", dir, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
		"-c", "full_page_writes=off")
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, logFile, logFile
	// The server stops when the test binary ends, however it ends: the
	// kernel sends it SIGINT (fast shutdown) when the thread that started
	// it exits, and that thread stays locked to a goroutine that lives as
	// long as the server.
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true, Pdeathsig: syscall.SIGINT}
	srv := &server{dir: dir, cmd: cmd, exited: make(chan struct{})}
	started := make(chan error)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the server
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		_ = cmd.Wait()
		close(srv.exited)
	}()
	if err := <-started; err != nil {
		os.RemoveAll(dir)
		return nil, "", fmt.Errorf("cannot start postgres: %w", err)
	}
	dsn := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	deadline := time.Now().Add(30 * time.Second)
	for {
		db, err := connect(dsn, time.Second)
		if err == nil {
			db.Close()
			break
		}
		select {
		case <-srv.exited:
			log, _ := os.ReadFile(filepath.Join(dir, "postgres.log"))
			os.RemoveAll(dir)
			return nil, "", fmt.Errorf("throwaway postgres exited: %s", log)
		default:
		}
		if time.Now().After(deadline) {
			srv.stop()
			return nil, "", fmt.Errorf("throwaway postgres did not answer within 30s: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return srv, dsn, nil
}

// stop shuts the server down (fast shutdown, then kill) and removes its
// files.
func (s *server) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.exited
	}
	os.RemoveAll(s.dir)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
