package cards

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/hookflow/hookflow/flows"
)

// jwtAlgorithms are the signing methods JWT Sign offers.
var jwtAlgorithms = []string{"HS256", "HS384", "HS512", "RS256", "RS384", "RS512"}

func jwtCards() []flows.Card {
	return []flows.Card{
		card("jwt.sign", "JWT Sign", flows.CategoryCrypto,
			"Sign a JSON Web Token: HS256 with a shared secret, or RS256 with an RSA private key in PEM. iat is set to now unless the claims give it.",
			[]flows.Field{
				{Key: "algorithm", Label: "Algorithm", Type: tText, Choices: jwtAlgorithms, Default: "HS256"},
				req("key", "Key", flows.TypePassword, "Secret, or PEM private key"),
				opt("claims", "Claims", tObject, "e.g. iss, sub, aud"),
				opt("expiresIn", "Expires in (seconds)", tNumber, "Sets exp from now"),
				opt("keyId", "Key ID", tText, "Header kid"),
			},
			out("token", "Token", tText), signJWT),
	}
}

// signJWT is JWT Sign.
func signJWT(_ context.Context, in flows.Input) (flows.Output, error) {
	alg := text(in, "algorithm")
	if alg == "" {
		alg = "HS256"
	}
	method := jwt.GetSigningMethod(alg)
	if method == nil || !contains(jwtAlgorithms, alg) {
		return nil, fmt.Errorf("unknown algorithm %q (use one of HS256, HS384, HS512, RS256, RS384, RS512)", alg)
	}
	now := time.Now
	if in.Now != nil {
		now = in.Now
	}
	claims := jwt.MapClaims(maps.Clone(object(in, "claims")))
	if claims == nil {
		claims = jwt.MapClaims{}
	}
	if _, ok := claims["iat"]; !ok {
		claims["iat"] = now().Unix()
	}
	if v, ok := in.Values["expiresIn"].(float64); ok {
		if v <= 0 {
			return nil, errors.New("expires in must be more than 0 seconds")
		}
		claims["exp"] = now().Add(time.Duration(v * float64(time.Second))).Unix()
	}
	tok := jwt.NewWithClaims(method, claims)
	if kid := text(in, "keyId"); kid != "" {
		tok.Header["kid"] = kid
	}
	var key any = []byte(text(in, "key"))
	if alg[0] == 'R' {
		k, err := jwt.ParseRSAPrivateKeyFromPEM([]byte(text(in, "key")))
		if err != nil {
			return nil, errors.New("the key is not an RSA private key in PEM (-----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----)")
		}
		key = k
	} else if len(text(in, "key")) == 0 {
		return nil, errors.New("the key is empty")
	}
	s, err := tok.SignedString(key)
	if err != nil {
		return nil, fmt.Errorf("signing failed: %w", err)
	}
	return single("token", s)
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}
