// Package emv reads and writes EMVCo merchant-presented QR payloads (EMV
// QRCPS Merchant-Presented Mode), the text inside the static collection
// code a merchant shows at the counter (system C) and inside the dynamic
// codes of Pix, PromptPay, UPI, DuitNow, SGQR, QRIS and the like.
//
// # Format
//
// A payload is a sequence of data objects, each a two-digit ID, a two-digit
// length and a value of that many characters. Lengths count characters
// (Unicode code points), not bytes: "0104最佳运输" is a four-character
// value. Some values are templates, themselves sequences of data objects:
// the merchant account templates 26–51 and unreserved templates 80–99 (each
// led by a globally unique identifier in sub-ID 00 naming whose template it
// is), the additional data field template 62 (bill number 01, mobile 02,
// store 03, loyalty 04, reference 05, customer 06, terminal 07, purpose 08
// …) and the merchant information language template 64. IDs 02–25 are
// accounts of card schemes. The payload begins with the payload format
// indicator "000201" and ends with ID 63, the CRC-16/CCITT-FALSE
// (polynomial 0x1021, initial 0xFFFF) of the UTF-8 bytes of everything
// before its value, "6304" included, as four upper-case hex digits. A
// payload has at most 512 characters.
//
// # Reading: lenient where real payloads are, strict where it matters
//
// Parse accepts data objects in any order after 00, and accepts payloads
// without data objects the specification calls mandatory: PromptPay codes
// carry no MCC, merchant name or city.
// It refuses, with a sentinel error naming the data object and the
// character offset, everything that makes a payload ambiguous or
// untrustworthy: a missing, misplaced or wrong CRC; an ID or length that is
// not two digits, a zero length, a value that runs past the end of its
// payload or template; an ID twice at one level; a template without a GUI;
// a value that lacks its fixed format (currency three digits, amount digits
// and one ".", country two capital letters …); invalid UTF-8, control
// characters, and more than 512 characters. It never panics (FuzzParse),
// and its errors never repeat a value from the payload.
//
// The formats both Parse and Build check are the specification's: point
// of initiation (01) "11" or "12"; MCC (52) four digits; currency (53)
// three digits; amount (54) and fixed fee (56) digits with at most one "."
// after the first digit ("98.73", "98", "98."), at most 13 characters; tip
// indicator (55) "01", "02" or "03"; fee percentage (57) like the amount,
// at most 5 characters; country (58) two capital letters; language (64.00)
// two letters. The maximum lengths of free text (name 25, city 15 …) are
// not enforced, since real payloads overrun them and they only bound a
// display. Whether an amount's decimals suit its currency is checked by
// Order, which knows the currency.
//
// Every data object lands somewhere in Payload: the common ones in named
// fields, the rest (card scheme accounts, RFU objects, unknown sub-objects)
// in slices, and the top-level objects as read in Payload.Objects. Nested
// values this package doesn't interpret (a network's own templates) stay
// text; ParseObjects splits them.
//
// # Writing: always valid
//
// Build writes a Payload in canonical order (ascending IDs, 63 last, with
// its CRC) and refuses whatever Parse would refuse, so Parse always reads
// what Build writes, and Build(Parse(s)) is s itself for a canonical s. It
// does not insist on the mandatory data objects, so a parsed PromptPay code
// rebuilds; Complete reports those for a writer that wants them.
// SetAmount writes a pay.Money as currency and amount.
//
// # Paying a scanned code
//
// Payload.Order gives a POS or payer's app what it needs to start the
// payment: the receiving accounts (card scheme accounts and merchant
// account templates with their GUI and fields), the amount as pay.Money
// (the numeric currency mapped to its ISO 4217 letters by CurrencyAlpha),
// the tip or fee, the reference (62.05, else the bill number 62.01) and the
// merchant's name and city.
package emv
