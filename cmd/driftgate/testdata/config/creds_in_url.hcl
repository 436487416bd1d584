repo "a" {
  url = "https://user:ghp_secret@git.example.com/a.git"
}
