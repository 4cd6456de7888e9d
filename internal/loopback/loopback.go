// Package loopback decides whether a host is this machine: the one rule
// the dashboard's binding and Host checks, and the refusal of credentials
// over plaintext (mail and the token endpoint), all apply.
package loopback

import (
	"net"
	"strings"
)

// Is reports whether host is this machine without a doubt: the name
// localhost, or an address in 127.0.0.0/8 or ::1, with or without
// brackets or a trailing dot. It looks up no name, so a name that merely
// resolves to a loopback address does not count.
func Is(host string) bool {
	host = strings.TrimSuffix(strings.TrimSpace(host), ".")
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
