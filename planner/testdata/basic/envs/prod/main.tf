terraform {
  required_version = ">= 1.9"

  backend "s3" {
    bucket = "acme-state"
    key    = "prod/terraform.tfstate"
    region = "eu-west-1"
  }

  required_providers {
    aws = {
      source                = "hashicorp/aws"
      version               = "~> 5.0"
      configuration_aliases = [aws.east]
    }
  }
}

module "vpc" {
  source = "../../modules/vpc"
  cidr   = var.cidr
}

module "registry" {
  source  = "terraform-aws-modules/s3-bucket/aws"
  version = "4.1.0"
}

module "hidden" {
  source = "../../.hidden/mod"
}
