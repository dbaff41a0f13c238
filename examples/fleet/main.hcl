# One configuration, many servers: each `environment` lists its servers
# and the variable values they get. `pgfort plan --env NAME` plans every
# server of NAME at once; without --env pgfort plans one connection as
# usual.

variable "reporting_connection_limit" {
  type    = number
  default = 5
}

role "app_owner" {
  login = false
}

role "app_reader" {
  login = false
}

role "reporting" {
  login            = false
  connection_limit = var.reporting_connection_limit
  member_of        = ["app_reader"]
}

# Two local sandboxes (see README.md): ports and passwords from the
# process environment, so nothing secret is written here. Only the
# environment --env names is evaluated: prod's servers need nothing set
# to run on local ones.
environment "local" {
  servers = [
    for name in ["a", "b"] : {
      name     = name
      host     = "127.0.0.1"
      port     = env("FLEET_${upper(name)}_PORT", "5432")
      user     = "postgres"
      password = env("FLEET_${upper(name)}_PASSWORD", "")
      dbname   = "postgres"
      sslmode  = "disable"
    }
  ]
}

# What a production fleet looks like: 12 tenant servers named by number,
# the credentials from PGUSER/PGPASSWORD or ~/.pgpass, and one server
# with a value of its own.
environment "prod" {
  variables = { reporting_connection_limit = 20 }
  servers = concat(
    [for i in range(1, 13) : {
      name        = "tenant${i}"
      host        = "tenant${i}.db.internal"
      sslmode     = "verify-full"
      sslrootcert = "ca/prod-root.crt"
    }],
    [{
      name        = "analytics"
      host        = "analytics.db.internal"
      sslmode     = "verify-full"
      sslrootcert = "ca/prod-root.crt"
      variables   = { reporting_connection_limit = 100 }
    }],
  )
}
