package loopback

import "testing"

func TestIs(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "LocalHost.": true, "127.0.0.1": true, "127.8.9.10": true, "::1": true, "[::1]": true, " 127.0.0.1 ": true,
		"": false, "10.0.0.1": false, "128.0.0.1": false, "localhost.example.nhs.net": false, "smtp.office365.com": false, "::2": false,
	} {
		if got := Is(host); got != want {
			t.Errorf("Is(%q) = %v, want %v", host, got, want)
		}
	}
}
