# The network stack: a gateway, built from the shared service module.
# The provider keeps its objects in $DGTEST_ROOT (see run.sh).

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

module "gateway" {
  source = "../../modules/service"
  name   = "gateway"
  port   = 443
}
