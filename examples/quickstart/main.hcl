# A small application's roles: an owner, a read-write group and a login
# that belongs to it. Apply it to the local sandbox:
#
#   cargo run --release -- apply --sandbox --auto-approve examples/quickstart

variable "app_password" {
  description = "Password of the application login"
  sensitive   = true
  # For the sandbox only; in real use pass -var app_password=… or
  # PGFORT_VAR_app_password, or let pgfort ask.
  default = "quickstart-only-password"
}

locals {
  app = "myapp"
}

role "app_owner" {
  comment = "owns the ${local.app} objects"
}

role "app_readwrite" {}

role "app_readonly" {}

role "app_user" {
  login            = true
  password         = var.app_password
  connection_limit = 50
  valid_until      = "2027-12-31"
  member_of        = ["app_readwrite"]
  settings = {
    statement_timeout = "30s"
    search_path       = ["app", "public"]
  }
  comment = "application login"
}

role "reporting" {
  login     = true
  member_of = [{ role = "app_readonly", admin = false }]
  settings  = { work_mem = "64MB" }
}
