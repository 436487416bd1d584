token "alice" {
  role        = "approver"
  sha256      = "0c848abb03307b06cf70cd4e29c157dc81af5e94ab3eb1d0c59a120269572376"
  permissions = ["destroy", "delete", "destroy"]
}
