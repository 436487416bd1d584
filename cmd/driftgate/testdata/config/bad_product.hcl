terraform {
  product = "pulumi"
}
