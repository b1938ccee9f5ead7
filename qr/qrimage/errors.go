package qrimage

import (
	"net/http"

	"github.com/paykit-go/paykit/pay"
)

// Sentinels for errors.Is. They are *pay.Error values, so a backend that
// decodes an uploaded image can serve them as they are. Messages never carry
// the encoded or decoded text: a card or a token is a bearer value.
var (
	// ErrNoCode: no readable code was found in the image. Decode and
	// DecodeCode128 return it after every strategy has failed, whether the
	// image holds no code at all or one too damaged to read.
	ErrNoCode = &pay.Error{Code: "qr_image_no_code", Message: "no readable code was found in the image", HTTPStatus: http.StatusUnprocessableEntity}
	// ErrTooLong: the text does not fit the symbology (a QR symbol of version
	// 40 at the chosen level, or 80 Code 128 characters).
	ErrTooLong = &pay.Error{Code: "qr_image_text_too_long", Message: "the text is too long for the code", HTTPStatus: http.StatusBadRequest}
	// ErrBadImage: the bytes are not a PNG image that may be decoded (corrupt,
	// truncated, or larger than MaxPixels).
	ErrBadImage = &pay.Error{Code: "qr_image_invalid", Message: "the bytes are not a decodable PNG image", HTTPStatus: http.StatusBadRequest}
)
