// Package apiv1 is the wire format of driftgate's HTTP API under /api/v1:
// the JSON bodies the server (package runner/api) answers and accepts, and
// the query parameters of its listings. The types are owned by the API,
// not by the store: the server converts its stored records into them in
// one place per type, and clients (runner/apiclient, the CLI) decode into
// them without importing the store.
//
// The JSON field names are the documented API; a field is renamed or
// removed only with a new API version. testdata/ holds the encoding of
// representative values of every type, which the tests compare against.
package apiv1
