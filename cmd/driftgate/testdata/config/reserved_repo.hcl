repo "local" {
  url = "/srv/git/infra.git"
}
