# The shipped modules composed into one configuration: a read-only group
# role for each of two databases, an application login, and a monitoring
# login with pg_stat_statements. Apply it to the local sandbox:
#
#   cargo run --release -- apply --sandbox --auto-approve examples/modules
#
# pg_stat_statements needs a restart before its view answers; the plan says
# so.

variable "app_password" {
  description = "Password of the application login"
  sensitive   = true
  # For the sandbox only; in real use pass -var app_password=… or
  # PGFORT_VAR_app_password, or let pgfort ask.
  default = "modules-example-app-password"
}

variable "monitoring_password" {
  description = "Password of the monitoring login"
  sensitive   = true
  default     = "modules-example-monitoring-password"
}

role "app_owner" {
  comment = "owns the application's objects"
}

database "shop" {
  owner = "app_owner"
}

schema "app" {
  database = "shop"
  owner    = "app_owner"
}

database "crm" {
  owner = "app_owner"
}

schema "sales" {
  database = "crm"
  owner    = "app_owner"
}

# The same module twice, with different inputs.
module "shop_readers" {
  source   = "../../modules/readonly-role"
  name     = "shop_reader"
  database = "shop"
  schemas  = ["app"]
}

module "crm_readers" {
  source   = "../../modules/readonly-role"
  name     = "crm_reader"
  database = "crm"
  schemas  = ["sales"]
  owners   = ["app_owner"]
}

# An application login in a read-write group (app-user calls
# readwrite-role, which calls readonly-role).
module "app" {
  source   = "../../modules/app-user"
  database = "shop"
  schemas  = ["app"]
  password = var.app_password
}

module "monitoring" {
  source   = "../../modules/monitoring"
  database = "shop"
  password = var.monitoring_password
}

# Module outputs are read as module.NAME.OUTPUT.
role "analyst" {
  login     = true
  member_of = [module.shop_readers.role, module.crm_readers.role]
  comment   = "reads ${module.shop_readers.database} and ${module.crm_readers.database}"
}

output "application_login" {
  description = "The role the application connects as"
  value       = module.app.role
}
