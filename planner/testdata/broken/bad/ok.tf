module "good" {
  source = "../good"
}
