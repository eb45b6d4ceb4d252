# One module, two customers: each customer's account has its own provider configuration
# (credentials from variables, e.g. from a vault), and the module is applied to each.
terraform {
  required_providers {
    duo = { source = "duo-rs/duo" }
  }
}

variable "acme_api_host" { type = string }
variable "acme_ikey" { type = string }
variable "acme_skey" {
  type      = string
  sensitive = true
}
variable "globex_api_host" { type = string }
variable "globex_ikey" { type = string }
variable "globex_skey" {
  type      = string
  sensitive = true
}

provider "duo" {
  alias    = "acme"
  api_host = var.acme_api_host
  ikey     = var.acme_ikey
  skey     = var.acme_skey
}

provider "duo" {
  alias    = "globex"
  api_host = var.globex_api_host
  ikey     = var.globex_ikey
  skey     = var.globex_skey
}

locals {
  staff = {
    "msp.dana" = "dana@msp.example.com"
    "msp.eli"  = "eli@msp.example.com"
  }
}

module "acme" {
  source    = "./modules/tenant-baseline"
  providers = { duo = duo.acme }
  customer  = "Acme"
  staff     = local.staff
}

module "globex" {
  source            = "./modules/tenant-baseline"
  providers         = { duo = duo.globex }
  customer          = "Globex"
  staff             = merge(local.staff, { "msp.fay" = "fay@msp.example.com" })
  lockout_threshold = 3
}
