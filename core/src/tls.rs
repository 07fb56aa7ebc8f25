//! TLS from a store URL: the option names and what they mean, decided once
//! for every binding (the bindings read the files and hand the driver its
//! TLS settings; the core does no I/O).
//!
//! - PostgreSQL: libpq's own `sslmode` (`verify-full`, `verify-ca`,
//!   `require`, …), `sslrootcert`, `sslcert`, `sslkey` — psycopg passes them
//!   to libpq, and node-postgres reads them from the connection string.
//! - Redis: the `rediss://` scheme, with redis-py's query parameters
//!   `ssl_ca_certs` (a PEM file), `ssl_cert_reqs` (`required`, the default,
//!   or `none`) and `ssl_check_hostname` — redis-py reads them itself; the
//!   Node store gives ioredis and node-redis the same settings.
//! - MySQL / MariaDB: the MySQL client's `ssl-mode` (`DISABLED`,
//!   `REQUIRED`, `VERIFY_CA`, `VERIFY_IDENTITY`) and `ssl-ca`, `ssl-cert`,
//!   `ssl-key` (PEM files), decided by [`mysql_mode`].

use crate::error::{Error, ErrorCode, Result};

/// What a MySQL connection does about TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MysqlTls {
    /// Plain text (no `ssl-mode`, no `ssl-ca`; or `DISABLED`).
    Disabled,
    /// Encrypted, the server's certificate not checked (`REQUIRED`).
    Required,
    /// Encrypted, the certificate checked against `ssl-ca`, not the host name (`VERIFY_CA`; `ssl-ca` alone).
    VerifyCa,
    /// Encrypted, the certificate checked against `ssl-ca` and the host name (`VERIFY_IDENTITY`).
    VerifyIdentity,
}

impl MysqlTls {
    /// The mode's name as the MySQL client spells it.
    pub const fn name(self) -> &'static str {
        match self {
            MysqlTls::Disabled => "DISABLED",
            MysqlTls::Required => "REQUIRED",
            MysqlTls::VerifyCa => "VERIFY_CA",
            MysqlTls::VerifyIdentity => "VERIFY_IDENTITY",
        }
    }
}

/// The TLS of a MySQL URL from its `ssl-mode` (any case; `None` when absent)
/// and whether it names an `ssl-ca`. `PREFERRED` is refused: it falls back to
/// plain text without a word, which a store of IDs must not do silently. A
/// mode that verifies needs `ssl-ca`; `ssl-ca` without a mode verifies the CA
/// (as the MySQL client does).
pub fn mysql_mode(ssl_mode: Option<&str>, has_ca: bool) -> Result<MysqlTls> {
    let mode = match ssl_mode.map(str::to_ascii_uppercase).as_deref() {
        None => return Ok(if has_ca { MysqlTls::VerifyCa } else { MysqlTls::Disabled }),
        Some("DISABLED") => MysqlTls::Disabled,
        Some("REQUIRED") => MysqlTls::Required,
        Some("VERIFY_CA") => MysqlTls::VerifyCa,
        Some("VERIFY_IDENTITY") => MysqlTls::VerifyIdentity,
        Some("PREFERRED") => {
            return Err(Error::reason(
                ErrorCode::InvalidArgument,
                "ssl-mode",
                "PREFERRED falls back to plain text silently: say REQUIRED, VERIFY_CA or VERIFY_IDENTITY (or DISABLED)",
            ))
        }
        Some(_) => {
            return Err(Error::reason(
                ErrorCode::InvalidArgument,
                "ssl-mode",
                "must be DISABLED, REQUIRED, VERIFY_CA or VERIFY_IDENTITY",
            ))
        }
    };
    if matches!(mode, MysqlTls::VerifyCa | MysqlTls::VerifyIdentity) && !has_ca {
        return Err(Error::reason(
            ErrorCode::InvalidArgument,
            "ssl-ca",
            "is needed by ssl-mode VERIFY_CA and VERIFY_IDENTITY (a PEM file of the CA)",
        ));
    }
    Ok(mode)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn mysql_modes_as_the_mysql_client_names_them() {
        assert_eq!(mysql_mode(None, false).unwrap(), MysqlTls::Disabled);
        assert_eq!(mysql_mode(None, true).unwrap(), MysqlTls::VerifyCa);
        assert_eq!(mysql_mode(Some("required"), false).unwrap(), MysqlTls::Required);
        assert_eq!(mysql_mode(Some("VERIFY_IDENTITY"), true).unwrap(), MysqlTls::VerifyIdentity);
        assert_eq!(mysql_mode(Some("VERIFY_CA"), false).unwrap_err().code(), ErrorCode::InvalidArgument);
        let e = mysql_mode(Some("PREFERRED"), true).unwrap_err();
        assert!(e.to_string().contains("PREFERRED falls back"), "{e}");
        assert!(mysql_mode(Some("yes"), true).is_err());
    }
}
