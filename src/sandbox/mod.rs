//! Throwaway local PostgreSQL clusters: the `--sandbox` target and the test
//! harness. Never touches a configured server.

#[derive(Debug, thiserror::Error)]
#[error("sandbox")]
pub struct SandboxError;
