terraform {
  required_version = "< 2.0"
  required_providers {
    aws = "~> 5.1"
  }
}

variable "cidr" {}

module "subnet" {
  source = "./subnet"
}

resource "aws_vpc" "this" {
  cidr_block = var.cidr
}
