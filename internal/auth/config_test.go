package auth

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"
)

func TestNewVerifierRejectsBadConfig(t *testing.T) {
	k := loadTestKeys(t)
	good := pkixPEM(t, &k.rsa1.PublicKey)
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	edPub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	privDER, err := x509.MarshalPKCS8PrivateKey(k.ec)
	if err != nil {
		t.Fatal(err)
	}
	privPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER})
	garbage := []byte("-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n")
	truncated := append(append([]byte{}, good...), []byte("-----BEGIN PUBLIC KEY-----\nMIIB\n")...)

	tests := []struct {
		name string
		cfg  Config
		want string // a substring of the error
	}{
		{"no key at all is refused", Config{}, "no key configured"},
		{"a short HMAC secret is refused", Config{HMACSecret: "short-secret"}, "shorter than 32 bytes"},
		{"a leeway above 30s is refused", Config{HMACSecret: testSecret, Leeway: 31 * time.Second}, "above the maximum"},
		{"a negative leeway is refused", Config{HMACSecret: testSecret, Leeway: -time.Second}, "negative"},
		{"a negative max token size is refused", Config{HMACSecret: testSecret, MaxTokenBytes: -1}, "negative"},
		{"PEM without any block is refused", Config{PublicKeysPEM: []byte("hello")}, "no PEM block found"},
		{"an RSA key under 2048 bits is refused", Config{PublicKeysPEM: pkixPEM(t, &small.PublicKey)},
			"PEM block 0: RSA key has 1024 bits"},
		{"an EC key on P-384 is refused", Config{PublicKeysPEM: pkixPEM(t, &p384.PublicKey)},
			"PEM block 0: EC key is on curve P-384"},
		{"an Ed25519 key is refused", Config{PublicKeysPEM: pkixPEM(t, edPub)}, "PEM block 0: key type"},
		{"a private key is refused", Config{PublicKeysPEM: privPEM}, "PEM block 0: is a private key"},
		{"an unparsable second block is named by its index", Config{PublicKeysPEM: append(append([]byte{}, good...), garbage...)},
			"PEM block 1: parse PUBLIC KEY"},
		{"a truncated second block is named by its index", Config{PublicKeysPEM: truncated}, "PEM block 1: cannot be decoded"},
		{"an unknown block type is refused", Config{PublicKeysPEM: pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: []byte{1}})},
			`PEM block 0: has unsupported type "X509 CRL"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := NewVerifier(tt.cfg)
			if err == nil {
				t.Fatalf("got verifier %v, want error containing %q", v, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %q, want it to contain %q", err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "auth: new verifier: ") {
				t.Errorf("got error %q, want the operation prefix", err)
			}
			if strings.Contains(err.Error(), "bm90IGEga2V5") || strings.Contains(err.Error(), "short-secret") {
				t.Errorf("error %q contains key material or the secret", err)
			}
		})
	}
}

func TestNewVerifierAcceptsEveryKeyFormat(t *testing.T) {
	k := loadTestKeys(t)
	cert := selfSigned(t, k)
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&k.rsa2.PublicKey)})
	tests := []struct {
		name     string
		pem      []byte
		wantAlgs string
	}{
		{"a PKIX RSA key enables RS256", pkixPEM(t, &k.rsa1.PublicKey), "[RS256]"},
		{"a PKCS #1 RSA key enables RS256", pkcs1, "[RS256]"},
		{"a certificate's RSA key enables RS256", cert, "[RS256]"},
		{"a PKIX P-256 key enables ES256", pkixPEM(t, &k.ec.PublicKey), "[ES256]"},
		{"commented RSA and EC keys enable both", bytes.Join([][]byte{
			[]byte("# signing keys\n"), pkcs1, []byte("rotated in March\n"), pkixPEM(t, &k.ec.PublicKey),
		}, nil), "[RS256 ES256]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := mustVerifier(t, Config{PublicKeysPEM: tt.pem})
			if got := fmt.Sprint(v.algs); got != tt.wantAlgs {
				t.Errorf("got algorithms %s, want %s", got, tt.wantAlgs)
			}
		})
	}
}

func TestVerifierNeverPrintsTheSecret(t *testing.T) {
	v := mustVerifier(t, Config{HMACSecret: testSecret})
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		if got := fmt.Sprintf(format, v); strings.Contains(got, testSecret.Reveal()) || strings.Contains(got, "48 49 50") {
			t.Errorf("got %s output %q, want no secret", format, got)
		}
	}
}

// selfSigned returns a PEM certificate for rsa2's key.
func selfSigned(t *testing.T, k testKeys) []byte {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "issuer.example"},
		NotBefore:    testNow,
		NotAfter:     testNow.Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.rsa2.PublicKey, k.rsa2)
	if err != nil {
		t.Fatalf("create certificate: %v", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
