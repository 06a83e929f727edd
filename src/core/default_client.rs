//! The process-wide client behind the one-shot `uiza_reset_stream_key`.
//!
//! It is created on first use, not by an init function: a library that
//! needs global set-up is one more thing for a plugin host to get wrong.

use once_cell::sync::Lazy;

use super::client::Client;
use super::error::Error;
use super::settings::Settings;

/// Overrides the default base URL, for the sandbox or a proxy.
pub(crate) const BASE_URL_ENV: &str = "UIZA_BASE_URL";

static DEFAULT: Lazy<Result<Client, Error>> = Lazy::new(|| {
    let mut settings = Settings::default();
    if let Some(raw) = std::env::var_os(BASE_URL_ENV) {
        let raw = raw
            .into_string()
            .map_err(|_| Error::invalid_argument("UIZA_BASE_URL is not UTF-8"))?;
        settings.base_url = super::request_path::BaseUrl::parse(&raw)
            .map_err(|e| Error::invalid_argument(format!("UIZA_BASE_URL: {}", e.message)))?;
    }
    Ok(Client::with_settings(settings))
});

/// The shared client, or the error that `UIZA_BASE_URL` caused when it was
/// first read (the environment is read once, like libcurl reads its proxy).
pub fn default_client() -> Result<&'static Client, Error> {
    DEFAULT.as_ref().map_err(Clone::clone)
}
