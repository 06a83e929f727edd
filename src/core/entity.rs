//! The live entity the API returns, parsed strictly: a document whose known
//! fields have the wrong JSON type is rejected rather than half-read.

use std::fmt;

use serde::Deserialize;

use super::error::Error;
use super::status::UizaStatus;

#[derive(Clone, Default, Deserialize, PartialEq, Eq)]
pub struct Ingest {
    pub url: Option<String>,
    /// Absent keys are caught by [`LiveEntity::parse`], which reports a
    /// clearer message than serde's "missing field".
    pub key: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct Playback {
    pub hls: Option<String>,
}

/// A Uiza live entity. Unknown fields are ignored so that the API can grow.
#[derive(Clone, Default, Deserialize, PartialEq, Eq)]
pub struct LiveEntity {
    pub id: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    /// `None`: the field is absent. `Some(None)`: `"ingest": null`, as an
    /// entity in `init` state has it.
    #[serde(default, deserialize_with = "present")]
    pub ingest: Option<Option<Ingest>>,
    pub playback: Option<Playback>,
    pub region: Option<String>,
    pub status: Option<String>,
    pub dvr: Option<bool>,
    pub encode: Option<bool>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
}

/// Tells an explicit `null` (`Some(None)`) from an absent field (`None`,
/// through `#[serde(default)]`).
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

impl LiveEntity {
    /// Parses a live entity as a reset answers it: `ingest.key` must be a
    /// string.
    pub fn parse_with_key(json: &[u8]) -> Result<LiveEntity, Error> {
        let entity = LiveEntity::parse(json)?;
        if entity.ingest_key().is_none() {
            return Err(not_an_entity("it has no string ingest.key"));
        }
        Ok(entity)
    }

    /// Parses a live entity: either `"ingest": null` (an entity in `init`
    /// state, which has no key yet) or an `ingest` with a string `key`.
    ///
    /// The error message gives the position of a problem but never the
    /// offending value: that value could be a stream key.
    pub fn parse(json: &[u8]) -> Result<LiveEntity, Error> {
        let entity: LiveEntity = serde_json::from_slice(json).map_err(|e| {
            let what = match e.classify() {
                serde_json::error::Category::Data => "a field has the wrong JSON type",
                serde_json::error::Category::Eof => "the JSON document is cut short",
                _ => "the body is not valid JSON",
            };
            Error::client(
                UizaStatus::InvalidResponse,
                format!(
                    "the response is not a live entity: {what} (line {}, column {})",
                    e.line(),
                    e.column()
                ),
            )
        })?;
        match &entity.ingest {
            None => Err(not_an_entity("it has no ingest")),
            Some(Some(ingest)) if ingest.key.is_none() => {
                Err(not_an_entity("it has no string ingest.key"))
            }
            _ => Ok(entity),
        }
    }

    pub fn ingest_key(&self) -> Option<&str> {
        self.ingest.as_ref()?.as_ref()?.key.as_deref()
    }

    pub fn ingest_url(&self) -> Option<&str> {
        self.ingest.as_ref()?.as_ref()?.url.as_deref()
    }

    pub fn playback_hls(&self) -> Option<&str> {
        self.playback.as_ref()?.hls.as_deref()
    }
}

fn not_an_entity(why: &str) -> Error {
    Error::client(
        UizaStatus::InvalidResponse,
        format!("the response is not a live entity: {why}"),
    )
}

impl fmt::Debug for Ingest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ingest")
            .field("url", &self.url)
            .field("key", &self.key.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl fmt::Debug for LiveEntity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LiveEntity")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("ingest", &self.ingest)
            .field("status", &self.status)
            .field("updated_at", &self.updated_at)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) const SEED: &str = r#"{
      "id": "22013d8a-d5fa-48f0-9a63-1f471ca9e81d",
      "name": "Test Event Updated",
      "description": "Event for Test",
      "ingest": {"url": "rtmp://f45dd07a0e-in.uizadev.io/transcode", "key": "live_updated_key"},
      "playback": {"hls": "https://f45dd07a0e.uizadev.io/fmp4/22013d8a-d5fa-48f0-9a63-1f471ca9e81d/master.m3u8"},
      "region": "in-bangalore-1", "status": "ready", "dvr": true, "encode": false,
      "created_at": "2019-12-11T02:47:04Z", "updated_at": "2019-12-16T02:53:30Z"
    }"#;

    #[test]
    fn parses_the_documented_entity() {
        let e = LiveEntity::parse(SEED.as_bytes()).unwrap();
        assert_eq!(e.ingest_key(), Some("live_updated_key"));
        assert_eq!(
            e.ingest_url(),
            Some("rtmp://f45dd07a0e-in.uizadev.io/transcode")
        );
        assert_eq!(e.dvr, Some(true));
        assert_eq!(e.encode, Some(false));
        assert_eq!(e.region.as_deref(), Some("in-bangalore-1"));
    }

    #[test]
    fn rejects_what_is_not_an_entity() {
        for bad in [
            "",
            "{}",
            "<html></html>",
            "[]",
            "{\"ingest\":{}}",
            "{\"ingest\":{\"key\":12345}}",
            "{\"ingest\":{\"key\":\"k\"},\"dvr\":\"yes\"}",
            "{\"ingest\":{\"key\":\"k\"}",
        ] {
            let err = LiveEntity::parse(bad.as_bytes()).unwrap_err();
            assert_eq!(err.status, UizaStatus::InvalidResponse, "{bad}");
        }
    }

    #[test]
    fn an_entity_in_init_state_has_no_key_yet() {
        let e = LiveEntity::parse(br#"{"id":"e","status":"init","ingest":null}"#).unwrap();
        assert_eq!(e.ingest_key(), None);
        assert_eq!(e.ingest_url(), None);
        let err = LiveEntity::parse_with_key(br#"{"id":"e","ingest":null}"#).unwrap_err();
        assert_eq!(err.status, UizaStatus::InvalidResponse);
        assert!(LiveEntity::parse_with_key(SEED.as_bytes()).is_ok());
    }

    #[test]
    fn messages_and_debug_hide_the_stream_key() {
        let err = LiveEntity::parse(br#"{"ingest":{"key":"k"},"dvr":"live_secret"}"#).unwrap_err();
        assert!(!err.message.contains("live_secret"), "{}", err.message);
        let e = LiveEntity::parse(SEED.as_bytes()).unwrap();
        assert!(!format!("{e:?}").contains("live_updated_key"));
    }
}
