# API tokens by their sha256; the tokens are alice-secret, bob-secret and
# ci-secret.
token "alice" {
  role        = "approver"
  sha256      = "0c848abb03307b06cf70cd4e29c157dc81af5e94ab3eb1d0c59a120269572376"
  permissions = ["destroy"]
}

token "bob" {
  role   = "viewer"
  sha256 = "9f03ef1533a68d2f506f81ef463c1183a82a6bd40e45613f36e6fe1889cf1b99"
}

token "ci-bot" {
  role   = "admin"
  sha256 = "f82da6e2b2e51c046a2eaf10964ef184b69c0aee9892f10a2a7b657477d407e6"
}
