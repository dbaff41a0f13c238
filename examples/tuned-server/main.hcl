# A web application's server: settings computed from the machine with
# pgtune's formulas, production logging and autovacuum, and query
# statistics from pg_stat_statements. Try it on the local sandbox with a
# memory size that machine has:
#
#   cargo run --release -- apply --sandbox --auto-approve --restart-if-needed \
#     -var memory=1GB examples/tuned-server

variable "memory" {
  description = "RAM PostgreSQL may use"
  default     = "16GB"
}

tune {
  memory      = var.memory
  cpus        = 4
  connections = 200
  storage     = "ssd"
  workload    = "web"
}

settings {
  # Who connects, what changes, what is slow.
  log_connections            = true
  log_disconnections         = true
  log_statement              = "mod"
  log_duration               = false
  log_line_prefix            = "%m [%p] %q%u@%d "
  log_min_duration_statement = "250ms"
  log_lock_waits             = true

  # Autovacuum that keeps up with busy tables.
  autovacuum                      = true
  autovacuum_naptime              = "30s"
  autovacuum_vacuum_scale_factor  = 0.05
  autovacuum_analyze_scale_factor = 0.02
  autovacuum_vacuum_cost_limit    = 1000

  # Declared settings win over the ones tune computes.
  work_mem = "16MB"
}

database "app" {}

# Also puts pg_stat_statements into shared_preload_libraries (a restart).
extension "pg_stat_statements" {
  database = "app"
}
