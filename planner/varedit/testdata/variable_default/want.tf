variable "image_tag" {
  description = "Image to run."
  type        = string
  default     = "v1.4.2" # CI writes this
}

variable "replicas" {
  type    = number
  default = 2
}
