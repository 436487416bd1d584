terraform {
  product = "opentofu"
  install = true
}
