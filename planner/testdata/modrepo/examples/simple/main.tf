module "this" {
  source = "../.."
  name   = "simple"
}
