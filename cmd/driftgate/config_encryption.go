package main

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/driftgate/driftgate/store"
)

// EncryptionConfig is the encryption block: the key that seals plan files
// in the store. The key itself stays out of the config file: it is read
// from KeyFile or from the environment variable KeyEnv, exactly one of
// which is set.
type EncryptionConfig struct {
	KeyFile string
	KeyEnv  string
	// Key is the decoded key, store.EncryptionKeySize bytes; nil without
	// an encryption block.
	Key encryptionKey
}

// encryptionKey is key material. It prints as [redacted], so a Config
// printed with %v or logged never shows it.
type encryptionKey []byte

func (encryptionKey) String() string   { return "[redacted]" }
func (encryptionKey) GoString() string { return "[redacted]" }

type encryptBlock struct {
	KeyFile  *string   `hcl:"key_file,optional"`
	KeyEnv   *string   `hcl:"key_env,optional"`
	Body     hcl.Body  `hcl:",body"`
	DefRange hcl.Range `hcl:",def_range"`
}

// keyHint says how to make a key; it ends every encryption diagnostic.
const keyHint = "The key is 32 random bytes written as 64 hex digits or as base64; generate one with: head -c 32 /dev/urandom | base64"

// decodeEncryption decodes the encryption block, when there is one, into
// out: it reads the key and checks it.
func decodeEncryption(eb *encryptBlock, baseDir string, out *EncryptionConfig) hcl.Diagnostics {
	if eb == nil {
		return nil
	}
	if (eb.KeyFile == nil) == (eb.KeyEnv == nil) {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid encryption block",
			Detail:   "Set exactly one of key_file (the path of a file holding the key) or key_env (the name of an environment variable holding it). " + keyHint,
			Subject:  eb.DefRange.Ptr(),
		}}
	}
	var attr, from, raw string
	if eb.KeyFile != nil {
		attr = "key_file"
		out.KeyFile = absPath(baseDir, *eb.KeyFile)
		b, err := os.ReadFile(out.KeyFile)
		if err != nil {
			return hcl.Diagnostics{attrError(eb.Body, attr, "Encryption key file not readable",
				fmt.Sprintf("%v. Point key_file at a readable file holding the key. %s", err, keyHint))}
		}
		from, raw = "The file "+out.KeyFile, string(b)
	} else {
		attr = "key_env"
		out.KeyEnv = *eb.KeyEnv
		if d := checkEnv(eb.Body, attr, out.KeyEnv, "encryption key"); d != nil {
			d.Detail += " " + keyHint
			return hcl.Diagnostics{d}
		}
		from, raw = "The environment variable "+out.KeyEnv, os.Getenv(out.KeyEnv)
	}
	key, err := parseEncryptionKey(raw)
	if err != nil {
		return hcl.Diagnostics{attrError(eb.Body, attr, "Invalid encryption key",
			fmt.Sprintf("%s does not hold a usable key: %v. %s", from, err, keyHint))}
	}
	out.Key = key
	return nil
}

// parseEncryptionKey decodes a key written as 64 hex digits or as standard
// base64, around which white space is ignored. Its errors never quote s.
func parseEncryptionKey(s string) (encryptionKey, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("it is empty")
	}
	// 64 hex digits are also valid base64 (of 48 bytes): try hex first.
	if len(s) == 2*store.EncryptionKeySize {
		if key, err := hex.DecodeString(s); err == nil {
			return key, nil
		}
	}
	key, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, errors.New("it is neither 64 hex digits nor base64")
	}
	if len(key) != store.EncryptionKeySize {
		return nil, fmt.Errorf("it decodes to %d bytes, not %d", len(key), store.EncryptionKeySize)
	}
	return key, nil
}
