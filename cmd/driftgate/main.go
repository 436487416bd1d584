// Command driftgate is a GitOps runner for Terraform and OpenTofu.
package main

func main() {}
