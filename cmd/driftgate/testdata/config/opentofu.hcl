data_dir = "data"

terraform {
  product = "opentofu"
  version = "1.10.10"
}
