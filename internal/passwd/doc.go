// Package passwd stores payment passwords (and other low-entropy secrets
// such as security answers) as Argon2id hashes and limits how often they can
// be guessed. It is the one implementation behind the VR headset's payment
// password (vrauth), the payment password carried in instant messages
// (pay/im) and the security questions of package verify.
//
// # Hashes
//
// Hash derives a key with Argon2id (golang.org/x/crypto/argon2) from the
// password and a random salt, and writes it as a PHC string, the format of
// the reference argon2 command and of other languages' libraries:
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>
//
// with salt and hash in unpadded standard base64. DefaultParams (19 MiB, two
// passes, one lane) is OWASP's minimum for Argon2id and also the floor:
// Params.Validate refuses anything weaker, and ParsePHC refuses a stored
// string that asks for less (or for absurd amounts of memory or time), so a
// tampered database row can neither weaken the hash nor exhaust the server.
// Verify recomputes the hash with the stored parameters and compares in
// constant time.
//
// # Store and lockout
//
// Store keeps one password per subject (an opaque string such as a user ID)
// in Records (NewMemRecords by default). After MaxFailures consecutive wrong
// attempts (default 5) the subject is locked for Lockout (default 15
// minutes). While locked, every attempt — the right password too — is
// refused without evaluating Argon2 and without changing anything. When the
// lock has passed, failures count from zero again; a right password resets
// them and rehashes a hash made with outdated parameters.
//
// Attempts on one subject are evaluated one at a time (a per-subject
// semaphore whose wait honours the context), so no burst of concurrent
// guesses gets more than MaxFailures evaluations before the lock: of 64
// concurrent wrong guesses, 5 are evaluated and 59 are refused as locked.
// Different subjects run in parallel, at most WithMaxParallel Argon2
// computations at a time (twice GOMAXPROCS by default), which bounds the
// memory a burst of attempts can take. The semaphores live in the Store, so
// Records shared by several processes need a backend that serializes
// writes per subject.
//
// Errors are sentinels for errors.Is; *WrongError and *LockedError add the
// attempts left and the end of the lock. No error text contains a password.
package passwd
