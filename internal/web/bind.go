package web

import (
	"fmt"
	"github.com/nhs-prevent/prevent/internal/loopback"
	"net"
	"strings"

	"github.com/nhs-prevent/prevent/internal/config"
)

// CheckBind refuses to expose the dashboard beyond this machine without
// authentication. It returns nil for a loopback address (127.0.0.0/8, ::1,
// localhost, with or without a port) and, for any other address (including
// ":8080", which is every interface), nil only when the config has
// web.users or web.proxy_header. The error is one sentence saying why and
// what to do; `prevent serve` exits 2 with it.
func CheckBind(addr string, cfg *config.Config) error {
	host := strings.TrimSpace(addr)
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if loopback.Is(host) {
		return nil
	}
	if cfg != nil && cfg.Web.AuthConfigured() {
		return nil
	}
	where := "the config"
	if cfg != nil && cfg.Path != "" {
		where = cfg.Path
	}
	shown := addr
	if host == "" {
		shown += " (every network interface)"
	}
	return fmt.Errorf("refusing to serve the dashboard on %s without authentication: it shows staff names and training records, so an address other than 127.0.0.1 or localhost needs web.users (bcrypt password hashes) or web.proxy_header in %s", shown, where)
}
