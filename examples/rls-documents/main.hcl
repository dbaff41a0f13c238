# Row-level security for the documents table that setup.sql creates: the
# application logs in as app_user and says who its end user is with
# SET app.user_id = '123'; each user then reads and writes only their own
# documents.

variable "app_password" {
  description = "Password of the application login"
  sensitive   = true
}

role "app_owner" {
  comment = "owns the application's objects"
}

role "app_user" {
  login    = true
  password = var.app_password
  comment  = "application login"
}

database "myapp" {
  owner = "app_owner"
}

grant {
  to         = ["app_user"]
  privileges = ["CONNECT"]
  on         = { database = "myapp" }
}

grant {
  to         = ["app_user"]
  privileges = ["SELECT", "INSERT", "UPDATE", "DELETE"]
  on         = { database = "myapp", schema = "public", tables = ["documents"] }
}

grant {
  to         = ["app_user"]
  privileges = ["USAGE"]
  on         = { database = "myapp", schema = "public", sequences = ["documents_id_seq"] }
}

table "documents" {
  database           = "myapp"
  schema             = "public"
  owner              = "app_owner"
  row_level_security = "force" # the owner is filtered too
  comment            = "one row per document, owned by an end user"
}

policy "own_documents" {
  database   = "myapp"
  table      = "public.documents"
  command    = "ALL"
  to         = ["app_user"]
  using      = "owner_id = current_setting('app.user_id')::integer"
  with_check = "owner_id = current_setting('app.user_id')::integer"
  comment    = "end users see and write only their own documents"
}
