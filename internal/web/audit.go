package web

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/nhs-prevent/prevent/internal/store"
)

// noSignIn is who the audit trail names when the dashboard has no sign-in
// (it then answers this machine alone).
const noSignIn = "(no sign-in)"

// audit records a dashboard action in the audit trail, logging when it
// cannot.
func (s *server) audit(r *http.Request, who, action, detail string) error {
	err := s.store.Audit(context.WithoutCancel(r.Context()), s.now(), who, action, detail)
	if err != nil {
		s.log.Error("dashboard: cannot record in the audit trail", "action", action, "error", err.Error())
	}
	return err
}

// maxAuditQuery caps the filters quoted in an export's audit line.
const maxAuditQuery = 400

// auditExport records a download before it is sent: who asked (the
// signed-in or proxy-named user), what (the address, its filters and the
// rows in the file) and, by the trail's own time, when. A download that
// cannot be recorded is not sent: it answers 500 and reports false.
func (s *server) auditExport(w http.ResponseWriter, r *http.Request, rows int) bool {
	who := userOf(r)
	if who == "" {
		who = noSignIn
	}
	detail := r.URL.Path
	if q := r.URL.Query(); len(q) > 0 {
		// Encoded, so that nothing typed into the address can put a
		// line break or an escape sequence into the trail.
		enc := q.Encode()
		if len(enc) > maxAuditQuery {
			enc = enc[:maxAuditQuery] + "..."
		}
		detail += "?" + enc
	}
	detail += fmt.Sprintf(": %d rows", rows)
	if err := s.audit(r, who, store.AuditExport, detail); err != nil {
		s.internal(w, r, err)
		return false
	}
	return true
}

// refusals limits the audit lines of refused proxy requests to one per
// address a minute, so that a flood of them cannot fill the trail.
func (a *auth) shouldAuditRefusal(addr string, now time.Time) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.refusals == nil || len(a.refusals) >= maxTracked {
		a.refusals = map[string]time.Time{}
	}
	if last, ok := a.refusals[addr]; ok && now.Sub(last) < time.Minute {
		return false
	}
	a.refusals[addr] = now
	return true
}
