// Package action decodes and validates the body of the POST /v1 action
// endpoints (contacts, calls, messages, automation enrollments, SPEC §3
// "Action request body") into a Request. Which CallWidget endpoint and
// wire body carry a Request out is the CallWidget client's business
// (internal/upstream/callwidget).
//
// Every failure Decode returns is a *domain.Error: unsupported-media-type
// for a body that is not JSON by its Content-Type, payload-too-large for a
// body over domain.MaxBodyBytes, and validation, listing every bad field at once,
// for anything else.
//
// Input rules the contract leaves open, decided here:
//   - Keys match exactly (no case folding); a key given twice is an error.
//   - JSON null for an optional field means absent.
//   - Every string field except message is trimmed of surrounding Unicode
//     whitespace; an optional one that is then empty counts as absent.
//     Lengths are counted in Unicode code points, after trimming. message
//     is kept verbatim, because line breaks and spacing in a text matter.
//   - Single-line fields (names, department, tags) refuse control
//     characters; message refuses them except tab, line feed and carriage
//     return.
//   - phone and install must be E.164 ('+' and digits, nothing else) after
//     trimming: national formats, spaces and punctuation are refused rather
//     than guessed at, as the contract says E.164.
//   - department is capped at 256 characters like the names.
//   - A birthday may be "today" anywhere on Earth: the latest accepted date
//     is today's date at UTC+14, so a caller in the earliest time zone is
//     never told that today is in the future. Years before 1900 are refused.
//   - message is required for messages (a text needs a body), optional for
//     calls, and refused on contacts and enrollments.
//
// The package holds no state; everything in it is safe for concurrent use.
package action
