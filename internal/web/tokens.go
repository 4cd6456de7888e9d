package web

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
)

// A person's page is reached by an opaque token rather than their
// employee number: the number sealed under keys of the process, so that
// the address gives nothing away, cannot be made for a number without the
// keys, and leads back to the number without a search. The sealing is
// deterministic (a person has one address while the process runs) and
// authenticated (SIV: the counter of AES-CTR is an HMAC of the number, and
// opening checks it), so that a token not made here opens to nobody.
// Numbers are padded to 16 bytes or a multiple of it, so that the length
// of a token tells nothing of the number's; an ESR number gives a token
// of 43 characters. The keys are random per process: after a restart an
// old address finds nobody.

// maxTokenNumber bounds the employee numbers a token can carry.
const maxTokenNumber = 256

// tokens seals and opens person tokens.
type tokens struct {
	mac   []byte       // keys the synthetic IV
	block cipher.Block // encrypts
}

func newTokens(key []byte) *tokens {
	derive := func(label string) []byte {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(label))
		return m.Sum(nil)
	}
	block, err := aes.NewCipher(derive("person token cipher"))
	if err != nil {
		panic(err) // a 32-byte key is always a valid AES key
	}
	return &tokens{mac: derive("person token mac"), block: block}
}

// iv is the synthetic IV of a padded number.
func (t *tokens) iv(padded []byte) []byte {
	m := hmac.New(sha256.New, t.mac)
	m.Write(padded)
	return m.Sum(nil)[:aes.BlockSize]
}

// seal is the token of an employee number.
func (t *tokens) seal(emp string) string {
	// ISO/IEC 7816-4 padding: 0x80, then zeros to a whole block.
	n := (len(emp)/aes.BlockSize + 1) * aes.BlockSize
	out := make([]byte, aes.BlockSize+n)
	padded := out[aes.BlockSize:]
	copy(padded, emp)
	padded[len(emp)] = 0x80
	iv := t.iv(padded)
	copy(out, iv)
	cipher.NewCTR(t.block, iv).XORKeyStream(padded, padded)
	return base64.RawURLEncoding.EncodeToString(out)
}

// open is the employee number a token was sealed from; ok is false for
// a token this process did not make.
func (t *tokens) open(tok string) (emp string, ok bool) {
	if len(tok) > base64.RawURLEncoding.EncodedLen(aes.BlockSize+maxTokenNumber+aes.BlockSize) {
		return "", false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(tok) // one spelling per token
	if err != nil || len(b) < 2*aes.BlockSize || len(b)%aes.BlockSize != 0 {
		return "", false
	}
	iv, padded := b[:aes.BlockSize], b[aes.BlockSize:]
	cipher.NewCTR(t.block, iv).XORKeyStream(padded, padded)
	if !hmac.Equal(t.iv(padded), iv) {
		return "", false
	}
	end := len(padded) - 1
	for end >= 0 && padded[end] == 0 {
		end--
	}
	if end < 0 || padded[end] != 0x80 {
		return "", false
	}
	return string(padded[:end]), true
}

// personToken is the token in the address of a person's page.
func (s *server) personToken(emp string) string { return s.people.seal(emp) }

// personByToken finds the employee number behind a token made by this
// process.
func (s *server) personByToken(tok string) (string, bool) { return s.people.open(tok) }
