package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Credentials are what a request presented: a user and password (Basic) or a token (Bearer).
type Credentials struct {
	User, Password string
	Token          string
}

// Authenticator decides who a request is. Authenticate returns the user the request acts
// as, or an error: ErrBadCredentials (answered 401 with SQLSTATE 28P01) or another error
// (answered as its SQLSTATE says). It is called for every request but /healthz and /readyz.
type Authenticator interface {
	Authenticate(ctx context.Context, c Credentials) (user string, err error)
}

// ErrBadCredentials refuses a request: wrong password, unknown user, expired or unknown
// token, or none given where one is needed. Its message says no more than that.
var ErrBadCredentials error = authError{}

type authError struct{}

func (authError) Error() string    { return "password authentication failed" }
func (authError) SQLState() string { return "28P01" }

// Trust is the Authenticator of a server that runs with trust authentication: every request
// is in, as the Basic user it names, or as DefaultUser.
type Trust struct {
	DefaultUser string
}

func (t Trust) Authenticate(_ context.Context, c Credentials) (string, error) {
	if c.User != "" {
		return c.User, nil
	}
	if t.DefaultUser != "" {
		return t.DefaultUser, nil
	}
	return "http", nil
}

// CheckPassword checks a user's password: nil when it is right, ErrBadCredentials (or an
// error of its own) when not.
type CheckPassword func(ctx context.Context, user, password string) error

// Passwords is the Authenticator of a server with password authentication: Basic
// credentials are checked with Check, and POST /api/v1/token exchanges them for a bearer
// token that stands for the user until TTL has passed.
type Passwords struct {
	Check CheckPassword
	TTL   time.Duration // 0 is one hour

	mu     sync.Mutex
	tokens map[string]token
}

type token struct {
	user    string
	expires time.Time
}

func (p *Passwords) Authenticate(ctx context.Context, c Credentials) (string, error) {
	if c.Token != "" {
		p.mu.Lock()
		defer p.mu.Unlock()
		t, ok := p.tokens[c.Token]
		if !ok || time.Now().After(t.expires) {
			delete(p.tokens, c.Token)
			return "", ErrBadCredentials
		}
		return t.user, nil
	}
	if c.User == "" {
		return "", ErrBadCredentials
	}
	if err := p.Check(ctx, c.User, c.Password); err != nil {
		return "", ErrBadCredentials
	}
	return c.User, nil
}

// Issue returns a new bearer token for user and when it expires.
func (p *Passwords) Issue(user string) (string, time.Time, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", time.Time{}, err
	}
	ttl := p.TTL
	if ttl <= 0 {
		ttl = time.Hour
	}
	tok, exp := hex.EncodeToString(b), time.Now().Add(ttl)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tokens == nil {
		p.tokens = map[string]token{}
	}
	now := time.Now()
	for k, t := range p.tokens {
		if now.After(t.expires) {
			delete(p.tokens, k)
		}
	}
	p.tokens[tok] = token{user: user, expires: exp}
	return tok, exp, nil
}

// tokenIssuer is implemented by Authenticators that hand out bearer tokens.
type tokenIssuer interface {
	Issue(user string) (string, time.Time, error)
}

// credentials reads the Authorization header.
func credentials(r *http.Request) Credentials {
	if u, p, ok := r.BasicAuth(); ok {
		return Credentials{User: u, Password: p}
	}
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return Credentials{Token: strings.TrimSpace(h[7:])}
	}
	return Credentials{}
}

type userKey struct{}

// userOf is the user a request was authenticated as.
func userOf(ctx context.Context) string {
	u, _ := ctx.Value(userKey{}).(string)
	return u
}
