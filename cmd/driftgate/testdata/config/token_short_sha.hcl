token "alice" {
  role   = "viewer"
  sha256 = "my-actual-api-token"
}
