package auth

import (
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

func BenchmarkVerify(b *testing.B) {
	k := loadTestKeys(b)
	benchmarks := []struct {
		name   string
		cfg    Config
		method jwt.SigningMethod
		key    any
	}{
		{"HS256 uncached", Config{HMACSecret: testSecret, CacheSize: -1}, jwt.SigningMethodHS256, []byte(testSecret)},
		{"HS256 cached", Config{HMACSecret: testSecret}, jwt.SigningMethodHS256, []byte(testSecret)},
		{"RS256 uncached", Config{PublicKeysPEM: pkixPEM(b, &k.rsa1.PublicKey), CacheSize: -1}, jwt.SigningMethodRS256, k.rsa1},
		{"ES256 uncached", Config{PublicKeysPEM: pkixPEM(b, &k.ec.PublicKey), CacheSize: -1}, jwt.SigningMethodES256, k.ec},
	}
	for _, bm := range benchmarks {
		b.Run(bm.name, func(b *testing.B) {
			bm.cfg.Now, _ = fixedClock()
			v := mustVerifier(b, bm.cfg)
			token := sign(b, bm.method, bm.key, baseClaims(), "")
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(token); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
