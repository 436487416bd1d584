locals {
  # The image CI built.
  image_tag = "v1.4.1"
  replicas  = 3
  name      = "app-${local.image_tag}"
}

resource "null_resource" "x" {}
