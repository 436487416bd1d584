# Stacks of the quickstart repo. Without this file driftgate would find the
# same two stacks by itself; declaring them names them and adds var files.

stack "network" {
  dir = "stacks/network"
}

stack "app" {
  dir        = "stacks/app"
  var_files  = ["env/app.tfvars"]
  depends_on = ["network"]
}
