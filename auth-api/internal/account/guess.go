package account

import (
	_ "embed"
	"strings"
)

// blocklist is the sorted ('\n'-separated, byte order) list of words a
// password must not be, after the variants guessable undoes: the 7,141
// leaked passwords, the 4,819 first names and the 16,384 most frequent
// English words and surnames of zxcvbn's frequency lists (those zxcvbn
// rates below 14 bits; github.com/ccojocar/zxcvbn-go v1.0.4, data/data,
// MIT licence, Copyright (c) Nathan Button), lower-cased, letters and
// digits only, at least 3 long. Made with
//
//	(jq -r '.List[]' Passwords.json FemaleNames.json MaleNames.json;
//	 jq -r '.List[:16384][]' English.json Surnames.json) | tr A-Z a-z |
//	 LC_ALL=C grep -E '^[a-z0-9]{3,}$' | LC_ALL=C sort -u
//
// It stays in the binary's read-only data (about 330 KiB) and is read by
// binary search, so it costs no heap: zxcvbn built about 10 MiB of maps at
// start-up and kept them.
//
//go:embed blocklist.txt
var blocklist string

// serviceWords are the words of this service, which a password must not
// be made of alone (zxcvbn's "user inputs"), separated by spaces.
const serviceWords = "jwt micro system auth api admin login web frontend"

// keyboardRuns are the key rows and columns a walk follows, one a line; a
// password that is a piece of one of them (either way) is a keyboard walk.
const keyboardRuns = "`1234567890-=\nqwertyuiop[]\\\nasdfghjkl;'\nzxcvbnm,./\n~!@#$%^&*()_+\n" +
	"1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik,9ol.0p;/\nqazwsxedcrfvtgbyhnujmikolp\n" +
	"qwertzuiop\nazertyuiop\nqsdfghjklm\nwxcvbn\n0147258369\n7894561230"

// maxAffix is how many characters around a listed word make it no less
// guessable: password1, !monkey2024, 99bottles.
const maxAffix = 4

// guessable reports whether password is one an attacker tries early
// (NIST SP 800-63B §5.1.1.2: passwords from breaches, dictionary words,
// repetitive or sequential characters, context-specific words): a
// repetition, a sequence or a keyboard walk; or, ignoring case, l33t
// substitutions (P@ssw0rd), separators, reversal and up to maxAffix
// characters before and after (or a weak pattern there: monkey123456), a
// word of blocklist; or a run of this service's words.
func guessable(password string) bool {
	s := strings.ToLower(password)
	if weakPattern(s) {
		return true
	}
	forms := []string{s}
	if t := strings.Map(dropSeparator, s); t != s && t != "" {
		forms = append(forms, t)
	}
	for _, f := range forms {
		if listedWithAffixes(f) {
			return true
		}
	}
	return false
}

// dropSeparator removes the characters people put between words.
func dropSeparator(r rune) rune {
	switch r {
	case ' ', '-', '_', '.':
		return -1
	}
	return r
}

// listedWithAffixes reports whether s, with some of the non-letters at its
// ends cut off (a weak remainder: at most maxAffix characters, or a weak
// pattern on each side), is a listed word in one of its readings.
func listedWithAffixes(s string) bool {
	lead := len(s) - len(strings.TrimLeft(s, notLetters))
	trail := len(s) - len(strings.TrimRight(s, notLetters))
	for i := 0; i <= lead && i <= len(s); i++ {
		for j := 0; j <= trail && i+j < len(s); j++ {
			pre, base, suf := s[:i], s[i:len(s)-j], s[len(s)-j:]
			if !weakAffix(pre, suf) {
				continue
			}
			for _, w := range readings(base) {
				if listed(w) {
					return true
				}
			}
		}
	}
	return false
}

// notLetters are the characters cut from a word's ends (ASCII digits,
// punctuation and space).
const notLetters = " !\"#$%&'()*+,-./0123456789:;<=>?@[\\]^_`{|}~"

func weakAffix(pre, suf string) bool {
	if len(pre)+len(suf) <= maxAffix {
		return true
	}
	return (pre == "" || weakPattern(pre)) && (suf == "" || weakPattern(suf))
}

// readings are the words base may stand for: itself, with l33t digits and
// signs read as letters (1, ! and | as i, or as l), and reversed.
func readings(base string) []string {
	out := []string{base, unleet(base, 'i'), unleet(base, 'l')}
	for i := range 3 {
		out = append(out, reverse(out[i]))
	}
	return out
}

func unleet(s string, one byte) string {
	b := []byte(s)
	for i, c := range b {
		switch c {
		case '4', '@':
			b[i] = 'a'
		case '8':
			b[i] = 'b'
		case '(':
			b[i] = 'c'
		case '3':
			b[i] = 'e'
		case '6', '9':
			b[i] = 'g'
		case '1', '!', '|':
			b[i] = one
		case '0':
			b[i] = 'o'
		case '5', '$':
			b[i] = 's'
		case '7', '+':
			b[i] = 't'
		case '2':
			b[i] = 'z'
		}
	}
	return string(b)
}

func reverse(s string) string {
	b := []byte(s)
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return string(b)
}

// listed reports whether w is a word of blocklist or made only of
// serviceWords.
func listed(w string) bool {
	return len(w) >= 3 && (inSorted(blocklist, w) || serviceRun(w))
}

// inSorted reports whether w is a line of list, sorted in byte order, by
// binary search over byte offsets: no index to build.
func inSorted(list, w string) bool {
	lo, hi := 0, len(list)
	for lo < hi {
		mid := lo + (hi-lo)/2
		start := strings.LastIndexByte(list[:mid], '\n') + 1
		end := strings.IndexByte(list[start:], '\n')
		if end < 0 {
			end = len(list)
		} else {
			end += start
		}
		switch line := list[start:end]; {
		case line == w:
			return true
		case line < w:
			lo = end + 1
		default:
			hi = start
		}
	}
	return false
}

// serviceRun reports whether w is one or more serviceWords run together.
func serviceRun(w string) bool {
	if w == "" {
		return true
	}
	for sw := range strings.SplitSeq(serviceWords, " ") {
		if rest, ok := strings.CutPrefix(w, sw); ok && serviceRun(rest) {
			return true
		}
	}
	return false
}

// weakPattern reports whether s (lower case) is a repetition of a short or
// listed unit (aaaaaaaa, abcabcabc, adminadmin), a sequence with a step of
// at most 2 either way (abcdefgh, 13579, 87654321) or a keyboard walk
// (qwertyuiop, 1qaz2wsx).
func weakPattern(s string) bool {
	if len(s) < 2 {
		return true
	}
	for p := 1; p <= len(s)/2; p++ {
		if repeats(s, p) && (p <= maxAffix || listed(s[:p]) || weakPattern(s[:p])) {
			return true
		}
	}
	if step := int(s[1]) - int(s[0]); step >= -2 && step <= 2 {
		seq := true
		for i := 2; i < len(s) && seq; i++ {
			seq = int(s[i])-int(s[i-1]) == step
		}
		if seq {
			return true
		}
	}
	// s holds no newline (control characters are refused before), so it
	// matches within one run.
	return strings.Contains(keyboardRuns, s) || strings.Contains(keyboardRuns, reverse(s))
}

// repeats reports whether s is its first p bytes over and over (the last
// time possibly cut short).
func repeats(s string, p int) bool {
	for i := p; i < len(s); i++ {
		if s[i] != s[i-p] {
			return false
		}
	}
	return true
}
