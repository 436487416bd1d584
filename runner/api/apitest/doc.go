// Package apitest holds what the tests of the API, its client and the CLI
// share: the tokens of each role, stored fixtures to seed a store with,
// and Canned, a Service of canned answers for tests of how the handler maps
// a Service's answers and errors. It decides nothing: what the daemon does
// is tested on the daemon itself (runner/runnertest).
package apitest
