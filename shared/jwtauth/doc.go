// Package jwtauth holds everything both services need to agree on about
// access tokens: the claims, the signing keys and their key ids, the one
// Issuer (auth-api) and the one Verifier (auth-api and web-frontend).
//
// Tokens are HS256 JWTs signed with SECRET_KEY itself, so any standard JWT
// library can check them with that key. The Verifier is deliberately strict:
// it pins HS256, requires exp, iss (and aud when configured), allows at most
// 30 seconds of leeway, looks keys up by kid among its own keys only, and
// bounds the work it does on hostile input. Every rejection carries a Reason
// that callers can log, count and explain.
package jwtauth
