terraform {
  required_providers {
    duo = {
      source = "duo-rs/duo"
    }
  }
}

# Credentials of an Admin API application (Duo Admin Panel → Applications → Admin API).
# Leave them out to use DUO_API_HOST, DUO_IKEY and DUO_SKEY from the environment.
provider "duo" {
  api_host = var.duo_api_host # e.g. "api-xxxxxxxx.duosecurity.com"
  ikey     = var.duo_ikey
  skey     = var.duo_skey
}

variable "duo_api_host" {
  type = string
}

variable "duo_ikey" {
  type = string
}

variable "duo_skey" {
  type      = string
  sensitive = true
}
