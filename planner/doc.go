// Package planner decides what driftgate plans and how: it discovers the
// Terraform stacks in a checkout, reads their configuration with hcl/v2, and
// works out which stacks a change affects. Its subpackages run Terraform and
// analyse the plans it produces. It knows nothing of bbolt or HTTP.
package planner
