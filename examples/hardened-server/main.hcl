# The hardened baseline module on database postgres: logging and
# authentication settings that `pgfort audit` checks, and PUBLIC's
# privileges there made authoritative (no CREATE on schema public).
#
#   cargo run --release -- apply --sandbox --auto-approve examples/hardened-server
#   cargo run --release -- audit --sandbox

role "app_owner" {
  comment = "keeps CREATE on schema public"
}

module "baseline" {
  source       = "../../modules/hardened-baseline"
  database     = "postgres"
  schema_owner = "app_owner"
}

# The root's settings merge with the module's; each setting may be set
# only once in the whole configuration.
settings {
  log_temp_files = "10MB"
}
