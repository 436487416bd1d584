package store

// Sealed values. With Options.EncryptionKey set, values that may hold
// secrets (plan files: terraform writes sensitive values into them; the
// redacted bodies of state versions, which still show attribute values) are
// sealed with AES-256-GCM before they are stored, in this format (version 1):
//
//	offset   size  field
//	0        3     magic "DGE"
//	3        1     format version '1'
//	4        12    nonce, random for every seal
//	16       n     ciphertext, as long as the plain value
//	16+n     16    GCM tag
//
// The additional data authenticated with a value is sealAD(bucket, key): the
// bucket name, a NUL byte and the value's key (for a plan file, the run's
// 16-byte binary id), so a sealed value moved to another run or bucket fails
// to open. A value without the magic is a plain value, stored before a key
// was configured or without one, and is read as it is: a database written
// without a key keeps working after one is configured. Plain values never
// start with the magic (a plan file is a zip archive, starting "PK"); seal
// refuses to store one that does, which could not be read back. Random
// nonces bound a key to 2^32 seals, far more plans than a store keeps.

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"fmt"
)

// EncryptionKeySize is the length of Options.EncryptionKey: an AES-256 key.
const EncryptionKeySize = 32

// Errors of sealed values, returned (wrapped) by the store. They belong with
// the other sentinels in errors.go.
var (
	// ErrEncrypted reports a sealed value read by a store opened without an
	// encryption key.
	ErrEncrypted = errors.New("encrypted, and the store has no encryption key")

	// ErrDecrypt reports a sealed value the store's key cannot open: the key
	// is not the one that sealed it, or the stored bytes were modified or
	// moved from where they were written.
	ErrDecrypt = errors.New("cannot decrypt with the configured encryption key")
)

const (
	sealMagic       = "DGE"
	sealVersion1    = '1'
	sealHeaderSize  = len(sealMagic) + 1
	sealNonceAndTag = 12 + 16
)

// newAEAD returns the cipher for key, or nil for an empty key (no
// encryption).
func newAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) == 0 {
		return nil, nil
	}
	if len(key) != EncryptionKeySize {
		return nil, fmt.Errorf("%w: encryption key is %d bytes; AES-256-GCM needs exactly %d",
			ErrInvalid, len(key), EncryptionKeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("encryption key: %w", err)
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, fmt.Errorf("encryption key: %w", err)
	}
	return aead, nil
}

// sealAD is the additional data of the value stored under key in bucket.
func sealAD(bucket, key []byte) []byte {
	ad := make([]byte, 0, len(bucket)+1+len(key))
	ad = append(ad, bucket...)
	ad = append(ad, 0)
	return append(ad, key...)
}

// isSealed reports whether a stored value is sealed (of any version).
func isSealed(stored []byte) bool {
	return len(stored) >= sealHeaderSize && bytes.HasPrefix(stored, []byte(sealMagic))
}

// seal returns the value to store for plain, authenticated with additional
// data ad (see sealAD): plain sealed with the store's key, or plain itself
// when the store has none. It does no I/O and holds no lock, so call it
// before the write transaction.
func (s *Store) seal(ad, plain []byte) ([]byte, error) { return sealValue(s.aead, ad, plain) }

// sealValue is seal with the cipher aead, nil for none.
func sealValue(aead cipher.AEAD, ad, plain []byte) ([]byte, error) {
	if aead == nil {
		if isSealed(plain) {
			return nil, fmt.Errorf("%w: a plain value starting with %q would read back as sealed",
				ErrInvalid, sealMagic)
		}
		return plain, nil
	}
	out := make([]byte, sealHeaderSize, sealHeaderSize+len(plain)+aead.Overhead())
	copy(out, sealMagic)
	out[len(sealMagic)] = sealVersion1
	return aead.Seal(out, nil, plain, ad), nil
}

// open reverses seal: it returns the plain value of stored, which must
// have been sealed with the same ad. A plain stored value is returned as it
// is. It fails with ErrEncrypted when stored is sealed and the store has no
// key, and with ErrDecrypt when the key cannot open it.
func (s *Store) open(ad, stored []byte) ([]byte, error) { return openSealed(s.aead, ad, stored) }

// openSealed is open with the cipher aead, nil for none.
func openSealed(aead cipher.AEAD, ad, stored []byte) ([]byte, error) {
	if !isSealed(stored) {
		return stored, nil
	}
	if aead == nil {
		return nil, ErrEncrypted
	}
	if v := stored[len(sealMagic)]; v != sealVersion1 {
		return nil, fmt.Errorf("%w: unknown sealed format version %q (written by a newer driftgate?)", ErrDecrypt, v)
	}
	body := stored[sealHeaderSize:]
	if len(body) < sealNonceAndTag {
		return nil, fmt.Errorf("%w: sealed value is truncated to %d bytes", ErrDecrypt, len(stored))
	}
	plain, err := aead.Open(nil, nil, body, ad)
	if err != nil {
		// GCM does not say why; these are the only causes.
		return nil, fmt.Errorf("%w: it was sealed with another key, or its bytes were modified or moved from where they were written",
			ErrDecrypt)
	}
	return plain, nil
}
