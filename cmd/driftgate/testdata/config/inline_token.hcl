repo "a" {
  url = "https://git.example.com/a.git"
  auth {
    token = "ghp_abc"
  }
}
