package jwtauth

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// MaxTokenLen bounds the size of a token the Verifier will look at. Real
// tokens are about 300 bytes; anything longer than this is refused before
// any decoding, so hostile input costs nothing.
const MaxTokenLen = 4096

// MaxLeeway is the largest clock skew a Verifier may allow.
const MaxLeeway = 30 * time.Second

// Reason says why a token was refused. Its string form is stable and safe to
// use as a log attribute or a metric label.
type Reason string

// The reasons a token is refused.
const (
	ReasonMalformed      Reason = "malformed"        // not a well-formed JWT, or too large
	ReasonAlgorithm      Reason = "bad_algorithm"    // alg is not HS256
	ReasonKeyHint        Reason = "forbidden_header" // jku, jwk, x5u, x5c or crit header present
	ReasonUnknownKey     Reason = "unknown_key"      // kid names none of our keys
	ReasonSignature      Reason = "bad_signature"    // signature does not match
	ReasonExpired        Reason = "expired"          // exp is in the past
	ReasonMissingExpiry  Reason = "missing_exp"      // no exp claim
	ReasonNotYetValid    Reason = "not_yet_valid"    // nbf or iat is in the future
	ReasonIssuer         Reason = "wrong_issuer"     // iss missing or not ours
	ReasonAudience       Reason = "wrong_audience"   // aud missing or not ours
	ReasonMissingClaim   Reason = "missing_claim"    // sub or role missing
	ReasonMissingToken   Reason = "missing_token"    // nothing was presented
	reasonUnclassifiedV1 Reason = "invalid"          // any other failure
)

// Error is a token rejection: the Reason, and the underlying error for logs.
type Error struct {
	Reason Reason
	Err    error
}

func (e *Error) Error() string {
	if e.Err == nil {
		return "token rejected: " + string(e.Reason)
	}
	return fmt.Sprintf("token rejected: %s: %v", e.Reason, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

func reject(r Reason, msg string) *Error {
	return &Error{Reason: r, Err: errors.New(msg)}
}

// ReasonOf returns the Reason of a rejection error, or "" for nil.
func ReasonOf(err error) Reason {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return reasonUnclassifiedV1
}

// VerifierConfig configures a Verifier.
type VerifierConfig struct {
	// Issuer is the required iss claim; DefaultIssuer when empty.
	Issuer string
	// Audience, when set, must be among the token's aud claim.
	Audience string
	// Leeway is the allowed clock skew, at most MaxLeeway.
	Leeway time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// CacheSize bounds how many verified tokens are remembered (see
	// DefaultCacheSize, used when zero); negative disables the cache.
	CacheSize int
}

// Verifier checks access tokens. It is safe for concurrent use; both
// services use one per process for every token they see.
type Verifier struct {
	keys     *Keys
	parser   *jwt.Parser
	issuer   string
	audience string
	leeway   time.Duration
	now      func() time.Time
	cache    *verifiedCache
}

// NewVerifier returns a Verifier that accepts tokens signed with any of keys.
func NewVerifier(keys *Keys, cfg VerifierConfig) (*Verifier, error) {
	if keys == nil {
		return nil, errors.New("jwtauth: NewVerifier needs keys")
	}
	if cfg.Leeway < 0 || cfg.Leeway > MaxLeeway {
		return nil, fmt.Errorf("jwtauth: leeway must be between 0 and %s, got %s", MaxLeeway, cfg.Leeway)
	}
	if cfg.Issuer == "" {
		cfg.Issuer = DefaultIssuer
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	// golang-jwt parses and checks the signature; the claims are checked
	// here, in a fixed order, so each rejection has one precise Reason.
	parser := jwt.NewParser(jwt.WithoutClaimsValidation(), jwt.WithStrictDecoding())
	if cfg.CacheSize == 0 {
		cfg.CacheSize = DefaultCacheSize
	}
	return &Verifier{
		keys:     keys,
		parser:   parser,
		issuer:   cfg.Issuer,
		audience: cfg.Audience,
		leeway:   cfg.Leeway,
		now:      cfg.Now,
		cache:    newVerifiedCache(cfg.CacheSize),
	}, nil
}

// Verify checks token and returns its claims. Any failure is an *Error with
// a Reason; callers must treat every error as a rejection.
func (v *Verifier) Verify(token string) (*Claims, error) {
	if token == "" {
		return nil, reject(ReasonMissingToken, "no token")
	}
	if len(token) > MaxTokenLen {
		return nil, reject(ReasonMalformed, fmt.Sprintf("token longer than %d bytes", MaxTokenLen))
	}
	if cached, ok := v.cache.get(token); ok {
		if err := v.checkClaims(&cached); err != nil {
			return nil, err
		}
		// The struct is already a copy; the slice must be one too, so no
		// caller can change what the cache holds.
		cached.Audience = slices.Clone(cached.Audience)
		return &cached, nil
	}
	claims := new(Claims)
	if _, err := v.parser.ParseWithClaims(token, claims, v.keyFor); err != nil {
		return nil, classify(err)
	}
	if err := v.checkClaims(claims); err != nil {
		return nil, err
	}
	v.cache.put(token, *claims, v.expired)
	return claims, nil
}

// expired reports whether c can no longer pass checkClaims because of its
// expiry; the cache uses it to evict first what is useless anyway.
func (v *Verifier) expired(c *Claims) bool {
	return c.ExpiresAt == nil || !v.now().Before(c.ExpiresAt.Add(v.leeway))
}

// checkClaims validates the time, issuer, audience and identity claims of a
// token whose signature is already verified.
func (v *Verifier) checkClaims(c *Claims) error {
	now := v.now()
	switch {
	case c.ExpiresAt == nil:
		return reject(ReasonMissingExpiry, "token has no exp claim")
	case !now.Before(c.ExpiresAt.Add(v.leeway)):
		return reject(ReasonExpired, "token expired at "+c.ExpiresAt.UTC().Format(time.RFC3339))
	case c.NotBefore != nil && now.Before(c.NotBefore.Add(-v.leeway)):
		return reject(ReasonNotYetValid, "token not valid before "+c.NotBefore.UTC().Format(time.RFC3339))
	case c.IssuedAt != nil && now.Before(c.IssuedAt.Add(-v.leeway)):
		return reject(ReasonNotYetValid, "token issued in the future")
	case c.Issuer == "":
		return reject(ReasonIssuer, "token has no iss claim")
	case c.Issuer != v.issuer:
		return reject(ReasonIssuer, "token was issued by someone else")
	case v.audience != "" && !slices.Contains(c.Audience, v.audience):
		return reject(ReasonAudience, "token is not meant for this audience")
	}
	return c.Validate()
}

// keyFor pins the algorithm and picks the key: only by kid, only among our
// own keys. A token without kid (signed by another standard library with
// SECRET_KEY, as the seeds do) is tried against each of our keys, at most two.
func (v *Verifier) keyFor(t *jwt.Token) (any, error) {
	if alg, _ := t.Header["alg"].(string); alg != jwt.SigningMethodHS256.Alg() {
		return nil, reject(ReasonAlgorithm, fmt.Sprintf("algorithm %q is not HS256", alg))
	}
	for _, h := range []string{"jku", "jwk", "x5u", "x5c", "x5t", "x5t#S256", "crit"} {
		if _, ok := t.Header[h]; ok {
			return nil, reject(ReasonKeyHint, fmt.Sprintf("header %q is not accepted", h))
		}
	}
	raw, present := t.Header["kid"]
	if !present {
		set := jwt.VerificationKeySet{Keys: []jwt.VerificationKey{v.keys.current.secret}}
		if prev, ok := v.keys.Previous(); ok {
			set.Keys = append(set.Keys, prev.secret)
		}
		return set, nil
	}
	kid, ok := raw.(string)
	if !ok {
		return nil, reject(ReasonUnknownKey, "kid is not a string")
	}
	k, ok := v.keys.lookup(kid)
	if !ok {
		return nil, reject(ReasonUnknownKey, "kid names none of our keys")
	}
	return k.secret, nil
}

// classify maps a golang-jwt error to our Error.
func classify(err error) error {
	var ours *Error
	if errors.As(err, &ours) {
		return &Error{Reason: ours.Reason, Err: err}
	}
	r := reasonUnclassifiedV1
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		r = ReasonMalformed
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		// The only path here that is not one of our own keyFor errors is a
		// signing method golang-jwt does not know ("None", "XYZ").
		r = ReasonAlgorithm
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		r = ReasonSignature
	}
	return &Error{Reason: r, Err: err}
}
