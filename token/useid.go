package token

import (
	"strconv"
	"strings"
)

// A use's ID names its token and its place among the token's uses:
// "tku_" + the random part of the token's ID + the use's sequence number
// in decimal (1 for the first use). Token IDs' random parts are 26
// base32 characters, which never include 0, 1, 8 or 9, so the split is
// unambiguous. A store finds a use from its ID without a global index, and
// the vault draws no random bytes per use. Knowing a token ID lets one
// guess its use IDs, which grants nothing: only the use's acceptor and the
// token's owner may see or reverse it.

// tokenBodyLen is the length of a token ID's random part.
const tokenBodyLen = 26

// UseID is the ID of the seq-th use of the token with ID tokenID.
func UseID(tokenID string, seq int64) string {
	body, _ := strings.CutPrefix(tokenID, PrefixToken+"_")
	return PrefixUse + "_" + body + strconv.FormatInt(seq, 10)
}

// SplitUseID returns the token ID and sequence number a use ID names, and
// false when useID is not a use ID.
func SplitUseID(useID string) (tokenID string, seq int64, ok bool) {
	rest, ok := strings.CutPrefix(useID, PrefixUse+"_")
	if !ok || len(rest) <= tokenBodyLen || len(rest) > tokenBodyLen+19 {
		return "", 0, false
	}
	body, num := rest[:tokenBodyLen], rest[tokenBodyLen:]
	for i := 0; i < len(body); i++ {
		if c := body[i]; !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return "", 0, false
		}
	}
	if num[0] == '0' {
		return "", 0, false // one spelling per ID
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 1 {
		return "", 0, false
	}
	return PrefixToken + "_" + body, n, true
}
