package envfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// FileSuffix marks the variable that names a file holding another
// variable's value: SECRET_KEY_FILE=/run/secrets/secret_key sets
// SECRET_KEY, the way Docker secrets and the official images do it.
const FileSuffix = "_FILE"

// maxFileBytes bounds a value read from a file; secrets are far smaller.
const maxFileBytes = 64 << 10

// WithFiles returns a getenv that answers each variable in names from the
// file that names+"_FILE" points to, when that is set, and from getenv
// otherwise. The files are read once, now: a missing, unreadable, empty or
// oversized file is an error naming the variable, and so is setting both X
// and X_FILE (which one should win is anybody's guess). One trailing
// newline (\n or \r\n, as editors and echo write it) is trimmed; the rest of
// the content is the value, byte for byte.
func WithFiles(getenv func(string) string, names ...string) (func(string) string, error) {
	values := make(map[string]string, len(names))
	var errs []error
	for _, name := range names {
		fileVar := name + FileSuffix
		path := getenv(fileVar)
		if strings.TrimSpace(path) == "" {
			continue
		}
		if strings.TrimSpace(getenv(name)) != "" {
			errs = append(errs, fmt.Errorf("both %s and %s are set: set only one of them", name, fileVar))
			continue
		}
		v, err := readValue(path)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", fileVar, err))
			continue
		}
		values[name] = v
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return func(key string) string {
		if v, ok := values[key]; ok {
			return v
		}
		return getenv(key)
	}, nil
}

func readValue(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxFileBytes+1))
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	if len(b) > maxFileBytes {
		return "", fmt.Errorf("%s is larger than %d bytes; it should hold only the value", path, maxFileBytes)
	}
	v := string(b)
	if s, ok := strings.CutSuffix(v, "\n"); ok {
		v = strings.TrimSuffix(s, "\r")
	}
	if v == "" {
		return "", fmt.Errorf("%s is empty; put the value in it", path)
	}
	return v, nil
}
