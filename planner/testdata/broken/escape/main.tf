module "outside" {
  source = "../../../outside"
}
