terraform {
  cloud {
    organization = "acme"
    workspaces {
      name = "staging"
    }
  }
}

module "app" {
  source = "../../modules/app"
}

module "state" {
  source = "../../modules/state"
}
