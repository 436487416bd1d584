# The app stack: two services from the shared module and a database
# password, which driftgate never prints or stores in the clear.

terraform {
  required_version = ">= 1.5"
  required_providers {
    dgtest = {
      source  = "driftgate/dgtest"
      version = "0.1.0"
    }
  }
}

provider "dgtest" {}

variable "db_password" {
  type      = string
  sensitive = true
}

variable "web_size" {
  type = string
}

module "web" {
  source = "../../modules/service"
  name   = "web"
  size   = var.web_size
}

module "worker" {
  source = "../../modules/service"
  name   = "worker"
  port   = 9090
}

resource "dgtest_secret" "db" {
  name        = "db-password"
  value       = var.db_password
  description = "app database password"
}
