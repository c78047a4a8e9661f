package hcapi_test

import (
	"crypto/sha1"
	"encoding/hex"
)

func shaHex(s string) string {
	sum := sha1.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}
