package main

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"gopkg.in/yaml.v3"
)

// The dashboard leg: `prevent serve` run as a child process on a free
// loopback port, and each page asked for in turn, first alone, then again
// sequentially (cached), then by several users at once, with the server's
// memory read from /proc after each page.

// dashboardPages are the pages measured, in the order asked for: a page's
// first request may find what an earlier page loaded (today's position).
// personPage stands for the first person linked from /people.
var dashboardPages = []string{"/", "/people", personPage, "/returns", "/imports", "/tna", "/commissioner"}

const personPage = "/people/{id}"

// webLoad says how many requests a page gets after its first, and the
// bounds of the leg.
type webLoad struct {
	cached int           // sequential requests after the first
	users  int           // clients at once
	rounds int           // times the users ask at once
	per    time.Duration // bound on one request
	leg    time.Duration // bound on the whole leg
	// maxRSSKB stops the server when its resident set grows past it, so
	// that a page holding too much takes down the server measured, not
	// the machine; 0 for no bound.
	maxRSSKB int64
}

var defaultWebLoad = webLoad{cached: 5, users: 10, rounds: 3, per: 120 * time.Second, leg: 20 * time.Minute}

// pageResult is one page's measurements. Durations run from sending the
// request to reading the last byte of the answer.
type pageResult struct {
	path   string // as asked for (a person's address for personPage)
	label  string // as shown: the page's pattern
	first  time.Duration
	bytes  int // the first answer's
	cached []time.Duration
	users  []time.Duration
	codes  map[int]int // status codes of every request
	rssKB  int64       // the server's VmRSS after the page
	hwmKB  int64       // its VmHWM (peak RSS) after the page
	err    error       // a request that got no answer (timeout, refused)
}

// fetch asks for one page and reads the whole answer.
func fetch(ctx context.Context, c *http.Client, url string) (time.Duration, int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, 0, nil, err
	}
	start := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		return time.Since(start), 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return time.Since(start), resp.StatusCode, body, err
}

// measurePage times path on base: the first request, load.cached more one
// after another, then load.rounds rounds of load.users at once. A request
// that gets no answer ends the page's measuring (the rest would only wait
// as long); a status other than 200 is counted and the measuring goes on.
func measurePage(ctx context.Context, c *http.Client, base, path string, load webLoad) (pageResult, []byte) {
	r := pageResult{path: path, label: path, codes: map[int]int{}}
	d, code, body, err := fetch(ctx, c, base+path)
	r.first, r.bytes = d, len(body)
	if err != nil {
		r.err = err
		return r, nil
	}
	r.codes[code]++
	for range load.cached {
		d, code, _, err := fetch(ctx, c, base+path)
		if err != nil {
			r.err = err
			return r, body
		}
		r.codes[code]++
		r.cached = append(r.cached, d)
	}
	for range load.rounds {
		type answer struct {
			d    time.Duration
			code int
			err  error
		}
		answers := make([]answer, load.users)
		var ready, done sync.WaitGroup
		start := make(chan struct{})
		for i := range answers {
			ready.Add(1)
			done.Add(1)
			go func() {
				defer done.Done()
				ready.Done()
				<-start
				d, code, _, err := fetch(ctx, c, base+path)
				answers[i] = answer{d, code, err}
			}()
		}
		ready.Wait()
		close(start)
		done.Wait()
		for _, a := range answers {
			if a.err != nil {
				r.err = a.err
				continue
			}
			r.codes[a.code]++
			r.users = append(r.users, a.d)
		}
		if r.err != nil {
			return r, body
		}
	}
	return r, body
}

// personLink is the address of the first person /people's HTML links to,
// "" when it links to nobody.
var personHref = regexp.MustCompile(`href="(/people/[^"/?#]+(?:\?[^"#]*)?)"`)

func personLink(page []byte) string {
	m := personHref.FindSubmatch(page)
	if m == nil {
		return ""
	}
	return html.UnescapeString(string(m[1]))
}

// measureDashboard measures every page of dashboardPages on base, in
// order, reading the memory of the server's process pid after each (none
// when pid is 0). It stops at ctx's end, returning the pages done.
func measureDashboard(ctx context.Context, base string, pid int, load webLoad) []pageResult {
	c := webClient(load)
	defer c.CloseIdleConnections()
	var results []pageResult
	person := ""
	for _, page := range dashboardPages {
		if ctx.Err() != nil {
			break
		}
		path := page
		if page == personPage {
			if person == "" {
				results = append(results, pageResult{label: page, codes: map[int]int{},
					err: errors.New("no person link in /people's answer")})
				continue
			}
			path = person
		}
		r, body := measurePage(ctx, c, base, path, load)
		r.label = page
		if page == "/people" {
			person = personLink(body)
		}
		if pid > 0 {
			r.rssKB, r.hwmKB = procMemory(pid)
		}
		results = append(results, r)
	}
	return results
}

// webClient keeps a connection per user, as browsers would, and bounds
// each request.
func webClient(load webLoad) *http.Client {
	return &http.Client{Timeout: load.per, Transport: &http.Transport{MaxIdleConnsPerHost: load.users + 1}}
}

// procMemory reads a process's current and peak resident set (VmRSS,
// VmHWM) in KiB; zeros when it cannot.
func procMemory(pid int) (rssKB, hwmKB int64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(value)
		if len(f) == 0 {
			continue
		}
		n, _ := strconv.ParseInt(f[0], 10, 64)
		switch name {
		case "VmRSS":
			rssKB = n
		case "VmHWM":
			hwmKB = n
		}
	}
	return rssKB, hwmKB
}

// median and longest of a set of durations; zero for none.
func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func longest(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	return slices.Max(ds)
}

// statusText is "200" when every request got 200, else each code with
// its count ("200×6 500×30"), or the error that stopped the page.
func (r pageResult) statusText() string {
	var codes []int
	for c := range r.codes {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	var parts []string
	for _, c := range codes {
		if len(codes) == 1 {
			parts = append(parts, strconv.Itoa(c))
		} else {
			parts = append(parts, fmt.Sprintf("%d×%d", c, r.codes[c]))
		}
	}
	if r.err != nil {
		parts = append(parts, "no answer")
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, " ")
}

// ok reports whether every request got an answer and every answer was 200.
func (r pageResult) ok() bool {
	return r.err == nil && len(r.codes) == 1 && r.codes[http.StatusOK] > 0
}

// printDashboard writes the table, then what is not as it should be: a
// status other than 200, a request with no answer, a page over the
// issue's targets (first load 2 s, cached 200 ms).
func printDashboard(out io.Writer, results []pageResult, load webLoad) {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "page\tstatus\tfirst s\tKB\tcached median ms\tcached max ms\t%d users median ms\t%d users max ms\tRSS MB after\tpeak MB\t\n", load.users, load.users)
	ms := func(ds []time.Duration, f func([]time.Duration) time.Duration) string {
		if len(ds) == 0 {
			return "-"
		}
		return strconv.FormatInt(f(ds).Milliseconds(), 10)
	}
	mb := func(kb int64) string {
		if kb == 0 {
			return "-"
		}
		return strconv.FormatInt((kb+512)/1024, 10)
	}
	for _, r := range results {
		first := "-"
		if r.first > 0 {
			first = fmt.Sprintf("%.2f", r.first.Seconds())
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r.label, r.statusText(), first, (r.bytes+512)/1024,
			ms(r.cached, median), ms(r.cached, longest), ms(r.users, median), ms(r.users, longest), mb(r.rssKB), mb(r.hwmKB))
	}
	_ = tw.Flush()
	for _, r := range results {
		switch {
		case r.err != nil:
			fmt.Fprintf(out, "%s: a request got no answer: %v\n", r.label, r.err)
		case !r.ok():
			fmt.Fprintf(out, "%s: answered %s, not 200 throughout\n", r.label, r.statusText())
		}
		var over []string
		if r.first > 2*time.Second {
			over = append(over, fmt.Sprintf("first load %.1f s", r.first.Seconds()))
		}
		if m := longest(r.cached); m > 200*time.Millisecond {
			over = append(over, fmt.Sprintf("cached up to %d ms", m.Milliseconds()))
		}
		if m := longest(r.users); m > 200*time.Millisecond {
			over = append(over, fmt.Sprintf("%d users up to %d ms", load.users, m.Milliseconds()))
		}
		if len(over) > 0 {
			fmt.Fprintf(out, "%s: over the targets (first load 2 s, cached 200 ms): %s\n", r.label, strings.Join(over, ", "))
		}
	}
}

// serveProcess is a `prevent serve` child process.
type serveProcess struct {
	cmd  *exec.Cmd
	base string // http://127.0.0.1:PORT
	log  string // its standard error, a file
	done chan struct{}
}

// startServe starts `prevent serve` with the dashboard on a free loopback
// port and waits until it answers /healthz (at most wait).
func startServe(ctx context.Context, prevent, dsn, config, logPath string, wait time.Duration) (*serveProcess, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	cmd := exec.Command(prevent, "--db", dsn, "--config", config, "serve", "--http", addr)
	cmd.Env = append(os.Environ(), "PREVENT_CONFIG=", "PREVENT_DB=")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// The server goes when the bench does, however it ends.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &serveProcess{cmd: cmd, base: "http://" + addr, log: logPath, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	c := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(wait)
	for {
		resp, err := c.Get(p.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, nil
			}
		}
		select {
		case <-p.done:
			return nil, fmt.Errorf("prevent serve ended before answering (%v):\n%s", cmd.ProcessState, tail(logPath, 20))
		case <-ctx.Done():
			p.stop()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, fmt.Errorf("prevent serve did not answer on %s within %s:\n%s", addr, wait, tail(logPath, 20))
		}
	}
}

// stop ends the server as Ctrl-C would, killing it if it has not gone in
// 15 s.
func (p *serveProcess) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// tail is a file's last n lines.
func tail(path string, n int) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// dashboardConfig writes a copy of the config file with every job of
// serve's schedule off, so that the server measured only serves the
// dashboard: it imports, sends and collates nothing (on a national
// database the reminders job alone would run for minutes beside the
// requests), and the database stays as the other steps saw it.
func dashboardConfig(config, dir string) (string, error) {
	var doc yaml.Node
	b, err := os.ReadFile(config)
	if err != nil {
		return "", err
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return "", fmt.Errorf("%s: %w", config, err)
	}
	if doc.Kind == 0 { // an empty file: the built-in defaults
		doc = yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.MappingNode}}}
	}
	top := doc.Content[0]
	if top.Kind != yaml.MappingNode {
		return "", fmt.Errorf("%s: not a mapping of settings", config)
	}
	off := &yaml.Node{Kind: yaml.MappingNode}
	for _, job := range []string{"import", "reminders", "return", "annual_report", "collate", "chase"} {
		off.Content = append(off.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: job},
			&yaml.Node{Kind: yaml.ScalarNode, Style: yaml.DoubleQuotedStyle, Value: ""})
	}
	replaced := false
	for i := 0; i+1 < len(top.Content); i += 2 {
		if top.Content[i].Value == "schedule" {
			top.Content[i+1], replaced = off, true
		}
	}
	if !replaced {
		top.Content = append(top.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "schedule"}, off)
	}
	out, err := yaml.Marshal(&doc)
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "dashboard.yaml")
	return path, os.WriteFile(path, out, 0o644)
}

// dashboardLeg starts `prevent serve` on the database, measures every
// page, then restarts it and asks for the person measured before, as a
// link kept from before a restart would, before anything else. The whole
// leg is bounded by limit.
func dashboardLeg(out io.Writer, prevent, dsn, config, work string, load webLoad) error {
	ctx, cancel := context.WithTimeout(context.Background(), load.leg)
	defer cancel()
	cfg, err := dashboardConfig(config, work)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\ndashboard: prevent serve on loopback, %s with its schedule off; each page: the first request (after the pages above it on the same server),\n"+
		"%d more one after another (cached), then %d rounds of %d users at once; the server's RSS after each page (%s)\n",
		config, load.cached, load.rounds, load.users, machine())
	srv, err := startServe(ctx, prevent, dsn, cfg, filepath.Join(work, "serve.log"), 2*time.Minute)
	if err != nil {
		return err
	}
	started := time.Now()
	watched := srv.watch(load.maxRSSKB)
	results := measureDashboard(ctx, srv.base, srv.cmd.Process.Pid, load)
	elapsed := time.Since(started)
	ended := false
	select {
	case <-srv.done:
		ended = true
	default:
		srv.stop()
	}
	switch kb := <-watched; {
	case kb > 0:
		fmt.Fprintf(out, "prevent serve was stopped during the leg, its RSS at %d MB, over the leg's bound of %d MB (-web-max-mb)\n",
			kb/1024, load.maxRSSKB/1024)
	case ended:
		fmt.Fprintf(out, "prevent serve ended during the leg (%v); the end of its log:\n%s\n", srv.cmd.ProcessState, tail(srv.log, 20))
	}
	logged := problems(srv.log, 10)

	// A fresh server, and a person's address before anything else.
	var person string
	for _, r := range results {
		if r.label == personPage && r.path != "" {
			person = r.path
		}
	}
	if person != "" && ctx.Err() == nil {
		cold := pageResult{label: personPage + " cold", path: person, codes: map[int]int{}}
		srv, err := startServe(ctx, prevent, dsn, cfg, filepath.Join(work, "serve-cold.log"), 2*time.Minute)
		if err != nil {
			cold.err = err
		} else {
			srv.watch(load.maxRSSKB)
			d, code, body, err := fetch(ctx, webClient(load), srv.base+person)
			cold.first, cold.bytes, cold.err = d, len(body), err
			if err == nil {
				cold.codes[code]++
			}
			cold.rssKB, cold.hwmKB = procMemory(srv.cmd.Process.Pid)
			srv.stop()
		}
		results = append(results, cold)
	}
	printDashboard(out, results, load)
	fmt.Fprintf(out, "the pages took %.0f s; \"%s cold\" is a fresh server's first request, for a person's address kept from the server before\n",
		elapsed.Seconds(), personPage)
	if last := results[len(results)-1]; last.label == personPage+" cold" && last.codes[http.StatusNotFound] > 0 {
		fmt.Fprintf(out, "(404: a person's address is made with a key the server draws when it starts, so one from before a restart finds nobody; the time is what looking for it costs)\n")
	}
	if ctx.Err() != nil {
		fmt.Fprintf(out, "the leg stopped at its bound of %s: the pages not listed were not measured\n", load.leg)
	}
	if logged != "" {
		fmt.Fprintf(out, "the server's last warnings and errors:\n%s\n", logged)
	}
	return nil
}

// watch kills the server when its resident set passes maxKB (checked
// every 100 ms), and sends on the channel returned, once the server has
// ended, the resident set it was killed at, or 0.
func (p *serveProcess) watch(maxKB int64) <-chan int64 {
	killed := make(chan int64, 1)
	go func() {
		for {
			select {
			case <-p.done:
				killed <- 0
				return
			case <-time.After(100 * time.Millisecond):
			}
			if rss, _ := procMemory(p.cmd.Process.Pid); maxKB > 0 && rss > maxKB {
				_ = p.cmd.Process.Kill()
				<-p.done
				killed <- rss
				return
			}
		}
	}()
	return killed
}

// problems is the last n warnings and errors of a serve log.
func problems(log string, n int) string {
	b, _ := os.ReadFile(log)
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, "level=WARN") || strings.Contains(l, "level=ERROR") {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// halfMemory is half the machine's memory in KiB (MemTotal), 0 when
// unknown.
func halfMemory() int64 {
	b, _ := os.ReadFile("/proc/meminfo")
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "MemTotal:"); ok {
			f := strings.Fields(v)
			if len(f) > 0 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n / 2
			}
		}
	}
	return 0
}
