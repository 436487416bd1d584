stack "network" {
  dir               = "live/network"
  terraform_version = "~> 1.11"
  var_files         = ["vars/common.tfvars"]
}

stack "app-prod" {
  dir            = "live/app"
  workspace      = "prod"
  depends_on     = ["network"]
  extra_triggers = ["scripts/**/*.sh"]
}

stack "app-staging" {
  dir        = "live/app"
  workspace  = "staging"
  depends_on = ["network"]
}
