module "gone" {
  source = "../nowhere"
}
