package base45

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// TestRFC9285Vectors checks the RFC's examples from the shared vectors.
func TestRFC9285Vectors(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "vectors", "base45_rfc9285.json"))
	if err != nil {
		t.Skip("shared vectors not present:", err)
	}
	var v struct {
		Examples []struct{ Input, Output string }
		Invalid  []string `json:"invalid_decode"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Examples) == 0 || len(v.Invalid) == 0 {
		t.Fatal("vector file has no examples")
	}
	for _, e := range v.Examples {
		if got := Encode([]byte(e.Input)); got != e.Output {
			t.Errorf("Encode(%q) = %q; want %q", e.Input, got, e.Output)
		}
		if got, err := Decode(e.Output); err != nil || string(got) != e.Input {
			t.Errorf("Decode(%q) = %q, %v; want %q", e.Output, got, err, e.Input)
		}
	}
	for _, s := range v.Invalid {
		if _, err := Decode(s); err == nil {
			t.Errorf("Decode(%q) accepted an invalid encoding", s)
		}
	}
}

func TestLiteralExamples(t *testing.T) {
	// RFC 9285 section 4.3: "ietf!" and section 4.4's decode example.
	if got := Encode([]byte("ietf!")); got != "QED8WEX0" {
		t.Fatalf("Encode = %q", got)
	}
	if got, err := Decode("QED8WEX0"); err != nil || string(got) != "ietf!" {
		t.Fatalf("Decode = %q, %v", got, err)
	}
}

func TestRoundTripAndLength(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := range 300 {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.UintN(256))
		}
		s := Encode(b)
		if len(s) != EncodedLen(n) {
			t.Fatalf("len(Encode(%d bytes)) = %d; want %d", n, len(s), EncodedLen(n))
		}
		got, err := Decode(s)
		if err != nil || !bytes.Equal(got, b) {
			t.Fatalf("round trip of %x: %x, %v", b, got, err)
		}
	}
	// Edge values of each group.
	for _, b := range [][]byte{{0}, {0xFF}, {0, 0}, {0xFF, 0xFF}, {0xFF, 0xFF, 0xFF}} {
		if got, err := Decode(Encode(b)); err != nil || !bytes.Equal(got, b) {
			t.Errorf("round trip of %x: %x, %v", b, got, err)
		}
	}
}

func TestDecodeRefuses(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want error
	}{
		{"A", ErrLength},
		{"AAAA", ErrLength},
		{"GGW", ErrOverflow},    // 65536 + ...: above 0xFFFF
		{":::", ErrOverflow},    // 44+44*45+44*2025 = 91124
		{"U6", ErrOverflow},     // 30+6*45 = 300 > 255
		{"aB8", ErrAlphabet},    // lower case is not Base45
		{"BB\x00", ErrAlphabet}, // control character
		{"BB8#A", ErrAlphabet},
	} {
		if _, err := Decode(tc.in); !errors.Is(err, tc.want) {
			t.Errorf("Decode(%q) err = %v; want %v", tc.in, err, tc.want)
		}
	}
	if got, err := Decode(""); err != nil || len(got) != 0 {
		t.Errorf("Decode(\"\") = %x, %v", got, err)
	}
}

// FuzzDecode: anything Decode accepts re-encodes to the same text
// (encodings are canonical), and it never panics.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{"", "BB8", "%69 VD92EX0", "UJCLQE7W581", "QED8WEX0", "GGW", "A", "aB8", "FGW", "U5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := Decode(s)
		if err != nil {
			return
		}
		if again := Encode(b); again != s {
			t.Fatalf("Decode(%q) = %x re-encodes as %q", s, b, again)
		}
	})
}
