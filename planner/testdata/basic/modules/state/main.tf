# Called by envs/staging, but it has its own backend: also a stack.
terraform {
  backend "local" {}
}
