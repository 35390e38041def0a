// Package scram implements the server side of SCRAM-SHA-256 (RFC 5802, RFC 7677) as
// PostgreSQL speaks it, and PostgreSQL's stored form of a password,
// "SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>" (pg_authid.rolpassword).
//
// Passwords are used as given: PostgreSQL's SASLprep normalisation changes only passwords
// with non-ASCII characters that have other Unicode forms.
package scram

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Mechanism is the SASL mechanism name.
const Mechanism = "SCRAM-SHA-256"

// Iterations is PostgreSQL's default scram_iterations.
const Iterations = 4096

// Verifier is a parsed stored password.
type Verifier struct {
	Iterations           int
	Salt                 []byte
	StoredKey, ServerKey []byte
}

// String is the verifier in PostgreSQL's format.
func (v Verifier) String() string {
	b := base64.StdEncoding
	return fmt.Sprintf("%s$%d:%s$%s:%s", Mechanism, v.Iterations, b.EncodeToString(v.Salt), b.EncodeToString(v.StoredKey), b.EncodeToString(v.ServerKey))
}

// NewVerifier returns the verifier of password with a random salt.
func NewVerifier(password string) (Verifier, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return Verifier{}, err
	}
	return derive(password, salt, Iterations)
}

func derive(password string, salt []byte, iter int) (Verifier, error) {
	salted, err := pbkdf2.Key(sha256.New, password, salt, iter, sha256.Size)
	if err != nil {
		return Verifier{}, err
	}
	clientKey := mac(salted, "Client Key")
	stored := sha256.Sum256(clientKey)
	return Verifier{Iterations: iter, Salt: salt, StoredKey: stored[:], ServerKey: mac(salted, "Server Key")}, nil
}

// IsVerifier reports whether s looks like a stored SCRAM-SHA-256 verifier (PostgreSQL
// stores such a string given as a password as it is).
func IsVerifier(s string) bool {
	_, err := Parse(s)
	return err == nil
}

// Parse parses a verifier in PostgreSQL's format.
func Parse(s string) (Verifier, error) {
	bad := errors.New("scram: malformed verifier")
	rest, ok := strings.CutPrefix(s, Mechanism+"$")
	if !ok {
		return Verifier{}, bad
	}
	head, keys, ok := strings.Cut(rest, "$")
	if !ok {
		return Verifier{}, bad
	}
	iterText, saltText, ok := strings.Cut(head, ":")
	if !ok {
		return Verifier{}, bad
	}
	storedText, serverText, ok := strings.Cut(keys, ":")
	if !ok {
		return Verifier{}, bad
	}
	var v Verifier
	var err error
	if v.Iterations, err = strconv.Atoi(iterText); err != nil || v.Iterations <= 0 {
		return Verifier{}, bad
	}
	b := base64.StdEncoding
	if v.Salt, err = b.DecodeString(saltText); err != nil || len(v.Salt) == 0 {
		return Verifier{}, bad
	}
	if v.StoredKey, err = b.DecodeString(storedText); err != nil || len(v.StoredKey) != sha256.Size {
		return Verifier{}, bad
	}
	if v.ServerKey, err = b.DecodeString(serverText); err != nil || len(v.ServerKey) != sha256.Size {
		return Verifier{}, bad
	}
	return v, nil
}

// Check reports whether password is the one v was made from.
func (v Verifier) Check(password string) bool {
	w, err := derive(password, v.Salt, v.Iterations)
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare(w.StoredKey, v.StoredKey) == 1 && subtle.ConstantTimeCompare(w.ServerKey, v.ServerKey) == 1
}

// Mock returns a verifier no password matches, with a salt fixed by user and secret: the
// exchange for a user that does not exist looks like one for a user that does, as
// PostgreSQL's mock authentication.
func Mock(user string, secret []byte) Verifier {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(user))
	sum := h.Sum(nil)
	none := make([]byte, sha256.Size)
	return Verifier{Iterations: Iterations, Salt: sum[:16], StoredKey: none, ServerKey: none}
}

func mac(key []byte, msg string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(msg))
	return h.Sum(nil)
}

// ErrFailed is a failed authentication: a wrong proof, or a mock verifier.
var ErrFailed = errors.New("scram: authentication failed")

// Server is one server-side exchange: First takes the client-first-message and returns the
// server-first-message; Final takes the client-final-message and returns the
// server-final-message, or ErrFailed, or an error for a malformed message.
type Server struct {
	v           Verifier
	mock        bool
	gs2         string
	clientBare  string
	serverFirst string
	nonce       string
}

// NewServer starts an exchange against v; mock marks a verifier from Mock, which fails at
// the end whatever the client sends.
func NewServer(v Verifier, mock bool) *Server { return &Server{v: v, mock: mock} }

// First answers the client-first-message.
func (s *Server) First(msg string) (string, error) {
	// gs2-header: channel binding flag, optional authzid, then the bare message.
	flag, rest, ok := strings.Cut(msg, ",")
	if !ok {
		return "", errors.New("malformed SCRAM message")
	}
	switch {
	case flag == "n", flag == "y":
	case strings.HasPrefix(flag, "p="):
		return "", errors.New("channel binding is not supported")
	default:
		return "", errors.New("malformed SCRAM message (unexpected channel-binding flag)")
	}
	authzid, bare, ok := strings.Cut(rest, ",")
	if !ok || (authzid != "" && !strings.HasPrefix(authzid, "a=")) {
		return "", errors.New("malformed SCRAM message")
	}
	s.gs2 = flag + "," + authzid + ","
	s.clientBare = bare
	var cnonce string
	for _, attr := range strings.Split(bare, ",") {
		if v, ok := strings.CutPrefix(attr, "r="); ok {
			cnonce = v
		}
	}
	if cnonce == "" {
		return "", errors.New("malformed SCRAM message (no nonce)")
	}
	var b [18]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	s.nonce = cnonce + base64.StdEncoding.EncodeToString(b[:])
	s.serverFirst = fmt.Sprintf("r=%s,s=%s,i=%d", s.nonce, base64.StdEncoding.EncodeToString(s.v.Salt), s.v.Iterations)
	return s.serverFirst, nil
}

// Final checks the client-final-message.
func (s *Server) Final(msg string) (string, error) {
	i := strings.LastIndex(msg, ",p=")
	if i < 0 {
		return "", errors.New("malformed SCRAM message (no proof)")
	}
	withoutProof := msg[:i]
	proof, err := base64.StdEncoding.DecodeString(msg[i+3:])
	if err != nil || len(proof) != sha256.Size {
		return "", errors.New("malformed SCRAM message (bad proof)")
	}
	var binding, nonce string
	for _, attr := range strings.Split(withoutProof, ",") {
		if v, ok := strings.CutPrefix(attr, "c="); ok {
			binding = v
		}
		if v, ok := strings.CutPrefix(attr, "r="); ok {
			nonce = v
		}
	}
	if binding != base64.StdEncoding.EncodeToString([]byte(s.gs2)) {
		return "", errors.New("SCRAM channel binding check failed")
	}
	if nonce != s.nonce {
		return "", errors.New("SCRAM nonce mismatch")
	}
	authMsg := s.clientBare + "," + s.serverFirst + "," + withoutProof
	sig := mac(s.v.StoredKey, authMsg)
	clientKey := make([]byte, len(proof))
	for j := range proof {
		clientKey[j] = proof[j] ^ sig[j]
	}
	stored := sha256.Sum256(clientKey)
	if s.mock || subtle.ConstantTimeCompare(stored[:], s.v.StoredKey) != 1 {
		return "", ErrFailed
	}
	return "v=" + base64.StdEncoding.EncodeToString(mac(s.v.ServerKey, authMsg)), nil
}
