package flightsql

import (
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// tokens issues bearer tokens for valid basic credentials and checks them; it implements
// flight.BasicAuthValidator.
type tokens struct {
	auth func(user, password string) bool
	ttl  time.Duration

	mu     sync.Mutex
	issued map[string]token
}

type token struct {
	user    string
	expires time.Time
}

func newTokens(auth func(user, password string) bool, ttl time.Duration) *tokens {
	return &tokens{auth: auth, ttl: ttl, issued: map[string]token{}}
}

// Validate checks basic credentials and returns a new bearer token.
func (t *tokens) Validate(user, password string) (string, error) {
	if !t.auth(user, password) {
		return "", status.Error(codes.Unauthenticated, "invalid user name or password")
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", status.Error(codes.Internal, "generating token")
	}
	tok := hex.EncodeToString(b[:])
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	for k, v := range t.issued {
		if now.After(v.expires) {
			delete(t.issued, k)
		}
	}
	t.issued[tok] = token{user: user, expires: now.Add(t.ttl)}
	return tok, nil
}

// IsValid returns the user name a bearer token was issued to.
func (t *tokens) IsValid(bearer string) (any, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	v, ok := t.issued[bearer]
	if !ok || time.Now().After(v.expires) {
		delete(t.issued, bearer)
		return nil, status.Error(codes.Unauthenticated, "invalid or expired token")
	}
	return v.user, nil
}
