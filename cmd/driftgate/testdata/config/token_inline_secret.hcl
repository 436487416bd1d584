token "alice" {
  role   = "viewer"
  secret = "alice-secret"
}

token "bob" {
  role  = "viewer"
  token = "bob-secret"
}
