token "alice" {
  role   = "viewer"
  sha256 = "0c848abb03307b06cf70cd4e29c157dc81af5e94ab3eb1d0c59a120269572376"
}
token "alice" {
  role   = "admin"
  sha256 = "9f03ef1533a68d2f506f81ef463c1183a82a6bd40e45613f36e6fe1889cf1b99"
}
