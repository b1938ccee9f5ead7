package verify

import (
	"unicode/utf8"

	"github.com/paykit-go/paykit/pay"
)

// maxSubjectID bounds a user or device ID. IDs are framed by 0x00 bytes in
// the messages devices sign, so they may not contain one.
const maxSubjectID = 128

// checkSubject refuses a subject whose IDs could not be framed
// unambiguously in a signed message: a missing user ID (or device ID when
// the method binds to a device), an ID over 128 bytes, invalid UTF-8 or a
// control character.
func checkSubject(s Subject, needDevice bool) error {
	if err := checkSubjectID("user_id", s.UserID, true); err != nil {
		return err
	}
	return checkSubjectID("device_id", s.DeviceID, needDevice)
}

func checkSubjectID(param, id string, required bool) error {
	switch {
	case id == "" && required:
		return pay.Errorf(pay.ErrInvalidRequest, param, "%s is required", param)
	case len(id) > maxSubjectID:
		return pay.Errorf(pay.ErrInvalidRequest, param, "%s is longer than %d bytes", param, maxSubjectID)
	case !utf8.ValidString(id):
		return pay.Errorf(pay.ErrInvalidRequest, param, "%s is not valid UTF-8", param)
	}
	for _, r := range id {
		if r < 0x20 || r == 0x7f {
			return pay.Errorf(pay.ErrInvalidRequest, param, "%s contains a control character", param)
		}
	}
	return nil
}

// checkProofMethod refuses a proof addressed to another method.
func checkProofMethod(want Method, p Proof) error {
	if p.Method != want {
		return pay.Errorf(pay.ErrInvalidRequest, "method", "a %s proof was given to the %s verifier", pay.Clip(string(p.Method), 32), want)
	}
	return nil
}
