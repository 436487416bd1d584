variable "src" {
  type = string
}

module "from_var" {
  source = var.src
}

module "interpolated" {
  source = "${path.module}/modules/x"
}
