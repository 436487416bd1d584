token "alice" {
  role = "viewer"
}
