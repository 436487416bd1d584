// Package repogen writes synthetic Terraform repositories for benchmarks:
// many stacks sharing modules, with realistic files. Output is
// deterministic for given sizes.
package repogen

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

// Generate writes a repo of stacks root modules and modules shared
// modules under dir, deterministically: stacks live in
// stacks/teamNN/stackNNNN and call 2–3 modules each; every fifth module
// calls one or two lower-numbered modules; every directory has 2–3 .tf
// files with realistic blocks, and there are tfvars, docs and scripts.
func Generate(dir string, stacks, modules int) error {
	var werr error
	rng := rand.New(rand.NewPCG(1, 2))
	write := func(name, data string) {
		if werr != nil {
			return
		}
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			werr = err
			return
		}
		werr = os.WriteFile(p, []byte(data), 0o644)
	}
	for i := range modules {
		d := ModuleDir(i)
		var calls strings.Builder
		if i > 0 && i%5 == 0 {
			for _, j := range []int{i - 1, i / 2} {
				fmt.Fprintf(&calls, "\nmodule \"dep%d\" {\n  source = \"../%s\"\n  name   = var.name\n}\n", j, filepath.Base(ModuleDir(j)))
			}
		}
		write(d+"/main.tf", fmt.Sprintf(genModuleMain, i, i)+calls.String())
		write(d+"/variables.tf", genVariables)
		if i%2 == 0 {
			write(d+"/outputs.tf", genOutputs)
		}
		write(d+"/README.md", "# module\n")
	}
	for i := range stacks {
		d := StackDir(i)
		var calls strings.Builder
		for k, m := range rng.Perm(modules)[:2+rng.IntN(2)] {
			fmt.Fprintf(&calls, "\nmodule \"m%d_%d\" {\n  source = \"../../../%s\"\n  name   = \"%s-%d\"\n  tags   = local.tags\n}\n", k, m, ModuleDir(m), filepath.Base(d), k)
		}
		write(d+"/main.tf", fmt.Sprintf(genStackMain, i)+calls.String())
		write(d+"/variables.tf", genVariables)
		if i%3 == 0 {
			write(d+"/outputs.tf", genOutputs)
		}
		write(d+"/terraform.tfvars", fmt.Sprintf("name = \"stack-%d\"\n", i))
		write(d+"/.terraform.lock.hcl", "# lock\n")
	}
	write("README.md", "# generated\n")
	write("scripts/deploy.sh", "#!/bin/sh\n")
	return werr
}

// ModuleDir is the directory of module i.
func ModuleDir(i int) string { return fmt.Sprintf("modules/mod%03d", i) }

// StackDir is the directory of stack i.
func StackDir(i int) string { return fmt.Sprintf("stacks/team%02d/stack%04d", i%20, i) }

const genStackMain = `terraform {
  required_version = ">= 1.9, < 2.0"

  backend "s3" {
    bucket         = "acme-terraform-state"
    key            = "stack-%d/terraform.tfstate"
    region         = "eu-west-1"
    dynamodb_table = "terraform-locks"
    encrypt        = true
  }

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.80"
    }
    random = {
      source  = "hashicorp/random"
      version = ">= 3.6"
    }
  }
}

provider "aws" {
  region = var.region
  default_tags {
    tags = local.tags
  }
}

locals {
  tags = {
    team    = "platform"
    stack   = var.name
    managed = "terraform"
  }
}

data "aws_caller_identity" "current" {}

resource "random_id" "suffix" {
  byte_length = 4
}
`

const genModuleMain = `terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

resource "aws_s3_bucket" "this" {
  bucket = "${var.name}-%d"
  tags   = merge(var.tags, { module = "mod%03d" })
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id
  versioning_configuration {
    status = var.versioning ? "Enabled" : "Suspended"
  }
}

data "aws_iam_policy_document" "this" {
  statement {
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.this.arn}/*"]
    principals {
      type        = "AWS"
      identifiers = [for a in var.readers : "arn:aws:iam::${a}:root"]
    }
  }
}
`

const genVariables = `variable "name" {
  type        = string
  description = "Name prefix."
}

variable "region" {
  type    = string
  default = "eu-west-1"
}

variable "tags" {
  type    = map(string)
  default = {}
}

variable "versioning" {
  type    = bool
  default = true
}

variable "readers" {
  type    = list(string)
  default = []
  validation {
    condition     = alltrue([for r in var.readers : can(regex("^[0-9]{12}$", r))])
    error_message = "Readers must be AWS account IDs."
  }
}
`

const genOutputs = `output "id" {
  value = try(aws_s3_bucket.this.id, null)
}

output "arn" {
  value       = try(aws_s3_bucket.this.arn, null)
  description = "ARN."
}
`
