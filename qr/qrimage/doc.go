// Package qrimage is the image layer of paykit's QR stored-value cards
// (system D): it draws a card's Base45 text as a QR symbol and reads it back
// from a picture, and does the same for a card's short payment token as a
// Code 128 barcode for laser scanners.
//
// It is a package of its own so that the card codec in package qr, which
// only produces and parses text, pulls in no image library: importing
// qrimage brings github.com/skip2/go-qrcode (encoding) and
// github.com/makiuchi-d/gozxing (decoding).
//
// # Encoding
//
// Encode returns a PNG, EncodeImage an image.Image, both with the
// mandatory 4-module quiet zone, at error-correction level M unless
// WithLevel says otherwise and 4 pixels per module unless WithModuleSize
// or WithImageSize does. Modules are always whole pixels. Text in the QR
// alphanumeric set, which a Base45 card is, is encoded in alphanumeric mode
// (numeric segments where a run of digits makes that shorter), so a signed
// card of 178 characters fits version 7 at level M; Version reports the
// version a text needs.
//
// # Decoding
//
// Decode reads a QR symbol from any image.Image: a clean card straight from
// Encode, or a camera frame that is scaled, turned by quarter turns or by
// small angles, set in a wide margin, noisy, blurred or inverted. gozxing's
// reader with default hints misses some clean symbols and most blurred
// ones, so Decode tries a chain of hints, binarizers and finder searches
// (see Decode) and returns ErrNoCode only when all fail. DecodePNG adds
// the PNG step and refuses images over MaxPixels before decompressing
// them.
//
// # Code 128
//
// EncodeCode128 and DecodeCode128 render and read one line of printable
// ASCII, such as a 16-to-19-digit numeric token or an opaque ptk_ token,
// as Code 128 with 10-module quiet zones.
//
// Errors are *pay.Error sentinels (ErrNoCode, ErrTooLong, ErrBadImage, and
// pay.ErrInvalidRequest for bad arguments) and never contain the text
// encoded or decoded: a card or token is a bearer value.
package qrimage
