package jwtauth

import (
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Claims are the claims of an access token: the seed's five (sub, role, iat,
// exp, iss), a unique token id (jti), the session it belongs to (sid), and
// aud when an audience is configured. Field order is the order in the
// encoded payload.
type Claims struct {
	Subject   string           `json:"sub"`
	Role      string           `json:"role"`
	IssuedAt  *jwt.NumericDate `json:"iat"`
	ExpiresAt *jwt.NumericDate `json:"exp"`
	Issuer    string           `json:"iss"`
	ID        string           `json:"jti"`
	// SessionID is OpenID Connect's session id claim: the login session
	// (auth-api's refresh family) the token was issued in, by which a
	// logout revokes every access token of the session. The seeds' clients
	// ignore it. Tokens from elsewhere may have none.
	SessionID string           `json:"sid,omitempty"`
	Audience  jwt.ClaimStrings `json:"aud,omitempty"`
	// NotBefore is never issued, but honoured when present.
	NotBefore *jwt.NumericDate `json:"nbf,omitempty"`
}

// Expiry returns the expiry time, or the zero time when there is none.
func (c *Claims) Expiry() time.Time {
	if c.ExpiresAt == nil {
		return time.Time{}
	}
	return c.ExpiresAt.Time
}

// GetExpirationTime implements jwt.Claims.
func (c *Claims) GetExpirationTime() (*jwt.NumericDate, error) { return c.ExpiresAt, nil }

// GetIssuedAt implements jwt.Claims.
func (c *Claims) GetIssuedAt() (*jwt.NumericDate, error) { return c.IssuedAt, nil }

// GetNotBefore implements jwt.Claims.
func (c *Claims) GetNotBefore() (*jwt.NumericDate, error) { return c.NotBefore, nil }

// GetIssuer implements jwt.Claims.
func (c *Claims) GetIssuer() (string, error) { return c.Issuer, nil }

// GetSubject implements jwt.Claims.
func (c *Claims) GetSubject() (string, error) { return c.Subject, nil }

// GetAudience implements jwt.Claims.
func (c *Claims) GetAudience() (jwt.ClaimStrings, error) { return c.Audience, nil }

// Validate implements jwt.ClaimsValidator: a token without a subject or a
// role identifies nobody and is refused.
func (c *Claims) Validate() error {
	if c.Subject == "" {
		return reject(ReasonMissingClaim, "token has no sub claim")
	}
	if c.Role == "" {
		return reject(ReasonMissingClaim, "token has no role claim")
	}
	return nil
}
