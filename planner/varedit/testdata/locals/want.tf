locals {
  # The image CI built.
  image_tag = "v1.4.2"
  replicas  = 6
  name      = "app-${local.image_tag}"
  owner     = "web-team"
}

resource "null_resource" "x" {}
