//! The two JSON documents the library reads: the live entity (a 2xx body)
//! and the error document (`out_json` of a failed call, and API error
//! bodies).
#![no_main]

use libfuzzer_sys::fuzz_target;
use uiza::testing::{Error, ErrorDocument, LiveEntity, UizaStatus};

/// Library messages are fixed text plus positions; a longer one could only
/// come from echoing the input (which may hold a stream key).
const MAX_LIBRARY_MESSAGE: usize = 160;

fuzz_target!(|data: &[u8]| {
    match LiveEntity::parse(data) {
        // An entity in `init` state has `"ingest": null` and no key yet;
        // any other accepted entity has a string key.
        Ok(entity) => assert!(entity.ingest_key().is_some() || entity.ingest == Some(None)),
        Err(e) => {
            assert_eq!(e.status, UizaStatus::InvalidResponse);
            assert!(!e.message.is_empty() && e.message.len() <= MAX_LIBRARY_MESSAGE);
        }
    }

    match LiveEntity::parse_with_key(data) {
        Ok(entity) => assert!(entity.ingest_key().is_some()),
        Err(e) => assert_eq!(e.status, UizaStatus::InvalidResponse),
    }

    if let Err(e) = ErrorDocument::parse(data) {
        assert_eq!(e.status, UizaStatus::InvalidArgument);
    }

    // Any body with any status: the error built from it survives the trip
    // through out_json and uiza_error_parse unchanged.
    let code = data
        .first()
        .map_or(500, |b| 100 + u16::from(*b) * 3 + data.len() as u16 % 3);
    let error = Error::from_http_response(code, data);
    assert_eq!(error.status, UizaStatus::from_http(code));
    assert_eq!(error.http_status, Some(code));
    let doc = ErrorDocument::parse(error.to_json().as_bytes()).expect("own document parses");
    assert_eq!(doc.message, error.message);
    assert_eq!(doc.error_type, error.error_type);
    assert_eq!(doc.http_status, Some(code));
});
