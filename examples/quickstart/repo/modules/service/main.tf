# A service: one server, described by the test provider's dgtest_server.

terraform {
  required_providers {
    dgtest = {
      source  = "driftgate/dgtest"
      version = "0.1.0"
    }
  }
}

variable "name" {
  type = string
}

variable "size" {
  type    = string
  default = "small"
}

variable "port" {
  type    = number
  default = 8080
}

resource "dgtest_server" "this" {
  name = var.name
  size = var.size
  port = var.port
  tags = {
    managed-by = "driftgate-quickstart"
  }
}

output "id" {
  value = dgtest_server.this.id
}
