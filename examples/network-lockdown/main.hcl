# pg_hba.conf for a server that admits its application subnet and the
# administrator (pgfort itself) from the server's own host. Everything
# else is rejected.

variable "app_subnet" {
  description = "The network the application servers connect from."
  default     = "10.20.0.0/16"
}

role "app" {
  login = true
}

database "app" {
  owner = "app"
}

hba {
  rule {
    type    = "local"
    user    = "postgres"
    method  = "scram-sha-256"
    comment = "administration on the server itself"
  }
  rule {
    type    = "host"
    user    = "postgres"
    address = "127.0.0.1/32"
    method  = "scram-sha-256"
    comment = "pgfort and the administrator, from the server's host only"
  }
  rule {
    type     = "host"
    database = ["app"]
    user     = ["app"]
    address  = var.app_subnet
    method   = "scram-sha-256"
    comment  = "the application servers"
  }
  rule {
    type    = "host"
    address = "all"
    method  = "reject"
    comment = "nobody else"
  }

  # Self-tests, evaluated against the rules above at plan time.
  check {
    user     = "app"
    database = "app"
    address  = "10.20.3.4"
    expect   = "scram-sha-256"
  }
  check {
    user     = "postgres"
    database = "postgres"
    address  = "10.20.3.4"
    expect   = "reject"
  }
  check {
    user     = "app"
    database = "app"
    address  = "198.51.100.7"
    expect   = "reject"
  }
}
