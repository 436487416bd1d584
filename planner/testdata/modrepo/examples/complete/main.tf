module "this" {
  source = "../../"
  name   = file("files/name.txt")
}
