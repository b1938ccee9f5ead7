package passwd

import "fmt"

// Params are Argon2id cost parameters and sizes.
type Params struct {
	// Memory is the memory cost in KiB.
	Memory uint32
	// Time is the number of passes over the memory.
	Time uint32
	// Threads is the degree of parallelism (lanes).
	Threads uint8
	// SaltLen is the length of the random salt in bytes.
	SaltLen uint32
	// KeyLen is the length of the derived hash in bytes.
	KeyLen uint32
}

// DefaultParams is OWASP's minimum recommendation for Argon2id (19 MiB, two
// passes, one lane) with a 16-byte salt and a 32-byte hash. It is also the
// weakest setting Validate accepts.
var DefaultParams = Params{Memory: 19456, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// Floors and ceilings Validate enforces. The ceilings bound what a stored
// PHC string may ask a server to compute.
const (
	MinMemory  = 19456   // KiB
	MaxMemory  = 1 << 20 // KiB (1 GiB)
	MinTime    = 2
	MaxTime    = 10
	MinThreads = 1
	MaxThreads = 16
	MinSaltLen = 16
	MaxSaltLen = 64
	MinKeyLen  = 16
	MaxKeyLen  = 64
)

// Validate refuses parameters weaker than DefaultParams (m=19456 KiB, t=2,
// p=1, 16-byte salt, 16-byte hash) and absurd ones (m over 1 GiB, t over 10,
// p over 16, salt or hash over 64 bytes). Its errors match ErrParams.
func (p Params) Validate() error {
	switch {
	case p.Memory < MinMemory || p.Memory > MaxMemory:
		return fmt.Errorf("%w: memory %d KiB not in [%d, %d]", ErrParams, p.Memory, MinMemory, MaxMemory)
	case p.Time < MinTime || p.Time > MaxTime:
		return fmt.Errorf("%w: time %d not in [%d, %d]", ErrParams, p.Time, MinTime, MaxTime)
	case p.Threads < MinThreads || p.Threads > MaxThreads:
		return fmt.Errorf("%w: threads %d not in [%d, %d]", ErrParams, p.Threads, MinThreads, MaxThreads)
	case p.SaltLen < MinSaltLen || p.SaltLen > MaxSaltLen:
		return fmt.Errorf("%w: salt length %d not in [%d, %d]", ErrParams, p.SaltLen, MinSaltLen, MaxSaltLen)
	case p.KeyLen < MinKeyLen || p.KeyLen > MaxKeyLen:
		return fmt.Errorf("%w: key length %d not in [%d, %d]", ErrParams, p.KeyLen, MinKeyLen, MaxKeyLen)
	}
	return nil
}
