package auth

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
)

// minRSABits is the smallest RSA modulus accepted (NIST SP 800-131A, and the
// minimum RFC 7518 §3.3 requires for RS256).
const minRSABits = 2048

// publicKey is one configured verification key and its key id.
type publicKey struct {
	// kid is the RFC 7638 JWK SHA-256 thumbprint, base64url without padding.
	kid string
	// key is an *rsa.PublicKey or an *ecdsa.PublicKey on P-256.
	key any
}

// parsePublicKeys decodes every PEM block of data. Text around the blocks is
// ignored (certificate dumps often carry a human-readable header), but a
// "-----BEGIN" that does not decode is an error: a truncated second key must
// not silently leave only the first one configured. Errors name the block by
// its zero-based index and never include key bytes.
func parsePublicKeys(data []byte) ([]publicKey, error) {
	var keys []publicKey
	rest := data
	for i := 0; ; i++ {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			if bytes.Contains(rest, []byte("-----BEGIN")) {
				return nil, fmt.Errorf("PEM block %d: cannot be decoded", i)
			}
			break
		}
		key, err := parsePEMBlock(block)
		if err != nil {
			return nil, fmt.Errorf("PEM block %d: %w", i, err)
		}
		kid, err := thumbprint(key)
		if err != nil {
			return nil, fmt.Errorf("PEM block %d: %w", i, err)
		}
		keys = append(keys, publicKey{kid: kid, key: key})
	}
	if len(keys) == 0 {
		return nil, errors.New("no PEM block found")
	}
	return keys, nil
}

// parsePEMBlock returns the RSA or P-256 public key of one PEM block.
func parsePEMBlock(block *pem.Block) (any, error) {
	var (
		pub any
		err error
	)
	switch block.Type {
	case "PUBLIC KEY":
		pub, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		pub, err = x509.ParsePKCS1PublicKey(block.Bytes)
	case "CERTIFICATE":
		// Only the key is used: the certificate's validity period and chain
		// are not checked, because the operator configured it explicitly.
		var cert *x509.Certificate
		if cert, err = x509.ParseCertificate(block.Bytes); err == nil {
			pub = cert.PublicKey
		}
	case "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY":
		return nil, errors.New("is a private key; configure the public key only")
	default:
		return nil, fmt.Errorf("has unsupported type %q", block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", block.Type, err)
	}
	return checkKey(pub)
}

// checkKey accepts RSA keys of at least minRSABits and EC keys on P-256, the
// curve ES256 is defined on.
func checkKey(pub any) (any, error) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if bits := k.N.BitLen(); bits < minRSABits {
			return nil, fmt.Errorf("RSA key has %d bits, want at least %d", bits, minRSABits)
		}
		return k, nil
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return nil, fmt.Errorf("EC key is on curve %s, want P-256", k.Curve.Params().Name)
		}
		return k, nil
	default:
		return nil, fmt.Errorf("key type %T is not supported, want RSA or EC P-256", pub)
	}
}

// thumbprint returns the RFC 7638 JWK SHA-256 thumbprint of key: the hash of
// the JWK's required members in lexicographic order, without whitespace.
func thumbprint(key any) (string, error) {
	b64 := base64.RawURLEncoding.EncodeToString
	var jwk string
	switch k := key.(type) {
	case *rsa.PublicKey:
		e := big.NewInt(int64(k.E)).Bytes()
		jwk = `{"e":"` + b64(e) + `","kty":"RSA","n":"` + b64(k.N.Bytes()) + `"}`
	case *ecdsa.PublicKey:
		point, err := k.Bytes() // 0x04 || X || Y, each coordinate 32 bytes on P-256
		if err != nil || len(point) != 65 {
			return "", errors.New("EC key cannot be encoded")
		}
		jwk = `{"crv":"P-256","kty":"EC","x":"` + b64(point[1:33]) + `","y":"` + b64(point[33:]) + `"}`
	default:
		return "", fmt.Errorf("key type %T has no thumbprint", key)
	}
	sum := sha256.Sum256([]byte(jwk))
	return b64(sum[:]), nil
}
