//! `UizaLiveEntity`: typed access to a live entity, so that C callers need
//! no JSON parser.

use std::ffi::{c_char, CString};

use super::boundary::guard;
use super::c_strings::str_arg;
use super::outputs::{free_object, object_call, owned_str, write_out};
use crate::core::{Error, LiveEntity, UizaStatus};

/// A parsed live entity. Every string it returns is owned by it and stays
/// valid until `uiza_live_entity_free()`.
///
/// Thread safety: an entity is immutable once parsed, so any number of
/// threads may read it at once; it must not be freed while one still does.
pub struct UizaLiveEntity {
    id: Option<CString>,
    name: Option<CString>,
    description: Option<CString>,
    ingest_url: Option<CString>,
    ingest_key: Option<CString>,
    playback_hls: Option<CString>,
    region: Option<CString>,
    status: Option<CString>,
    created_at: Option<CString>,
    updated_at: Option<CString>,
    dvr: Option<bool>,
    encode: Option<bool>,
}

impl UizaLiveEntity {
    fn from_entity(e: LiveEntity) -> Result<UizaLiveEntity, Error> {
        let c = |field: &str, value: Option<&str>| -> Result<Option<CString>, Error> {
            value
                .map(|v| {
                    CString::new(v).map_err(|_| {
                        Error::client(
                            UizaStatus::InvalidResponse,
                            format!("{field} contains a NUL character"),
                        )
                    })
                })
                .transpose()
        };
        Ok(UizaLiveEntity {
            id: c("id", e.id.as_deref())?,
            name: c("name", e.name.as_deref())?,
            description: c("description", e.description.as_deref())?,
            ingest_url: c("ingest.url", e.ingest_url())?,
            ingest_key: c("ingest.key", e.ingest_key())?,
            playback_hls: c("playback.hls", e.playback_hls())?,
            region: c("region", e.region.as_deref())?,
            status: c("status", e.status.as_deref())?,
            created_at: c("created_at", e.created_at.as_deref())?,
            updated_at: c("updated_at", e.updated_at.as_deref())?,
            dvr: e.dvr,
            encode: e.encode,
        })
    }
}

/// Parses `json`, such as the `out_json` of a successful reset, read or
/// rotation, into a live entity.
///
/// Returns `UIZA_STATUS_OK` and sets `*out` to an entity to free with
/// `uiza_live_entity_free()`. Otherwise `*out` is set to NULL (when `out`
/// is not NULL) and the status is `UIZA_STATUS_INVALID_ARGUMENT` for a NULL
/// or non-UTF-8 argument, or `UIZA_STATUS_INVALID_RESPONSE` for a document
/// that is not a live entity: one whose `ingest` is neither `null` (an
/// entity in `init` state, which has no key yet) nor an object with a
/// string `key`.
///
/// Safety: `json` is NULL or a NUL-terminated string; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn uiza_live_entity_parse(
    json: *const c_char,
    out: *mut *mut UizaLiveEntity,
) -> UizaStatus {
    // SAFETY: the caller promised `json` NULL or NUL-terminated and `out`
    // NULL or writable; `object_call` and `str_arg` check for NULL.
    unsafe {
        object_call(out, || {
            let json = str_arg(json, "json")?;
            UizaLiveEntity::from_entity(LiveEntity::parse(json.as_bytes())?)
        })
    }
}

/// Frees an entity and the strings it returned. NULL is a no-op.
///
/// Safety: `entity` is NULL or came from `uiza_live_entity_parse()` and was not
/// freed before.
#[no_mangle]
pub unsafe extern "C" fn uiza_live_entity_free(entity: *mut UizaLiveEntity) {
    // SAFETY: the caller promised `entity` is NULL or a Box from
    // `uiza_live_entity_parse` that nobody else frees or uses now.
    unsafe { free_object(entity) }
}

/// Reads one boolean field into `*out`; false when absent.
///
/// Safety: `entity` is NULL or live; `out` is NULL or writable.
unsafe fn flag(
    entity: *const UizaLiveEntity,
    out: *mut bool,
    field: fn(&UizaLiveEntity) -> Option<bool>,
) -> bool {
    guard(false, || {
        // SAFETY: the caller promised `entity` NULL or live (a Box from
        // `uiza_live_entity_parse`) and `out` NULL or writable; both are
        // checked for NULL.
        match unsafe { entity.as_ref() }.and_then(field) {
            Some(value) if !out.is_null() => {
                unsafe { write_out(out, value) };
                true
            }
            _ => false,
        }
    })
}

/// The RTMP stream key (`ingest.key`). Present in every entity a reset or
/// rotation returns; NULL for an entity in `init` state (`"ingest": null`)
/// and for a NULL entity.
///
/// Safety: `entity` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn uiza_live_entity_ingest_key(
    entity: *const UizaLiveEntity,
) -> *const c_char {
    unsafe { owned_str(entity, |e| e.ingest_key.as_ref()) }
}

/// The RTMP ingest URL (`ingest.url`), or NULL if absent.
///
/// Safety: `entity` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn uiza_live_entity_ingest_url(
    entity: *const UizaLiveEntity,
) -> *const c_char {
    unsafe { owned_str(entity, |e| e.ingest_url.as_ref()) }
}

/// The live entity's id, or NULL if absent.
///
/// Safety: `entity` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn uiza_live_entity_id(entity: *const UizaLiveEntity) -> *const c_char {
    unsafe { owned_str(entity, |e| e.id.as_ref()) }
}

/// The name, or NULL if absent.
///
/// Safety: `entity` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn uiza_live_entity_name(entity: *const UizaLiveEntity) -> *const c_char {
    unsafe { owned_str(entity, |e| e.name.as_ref()) }
}

/// The description, or NULL if absent.
///
/// Safety: `entity` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn uiza_live_entity_description(
    entity: *const UizaLiveEntity,
) -> *const c_char {
    unsafe { owned_str(entity, |e| e.description.as_ref()) }
}

/// The HLS playback URL (`playback.hls`), or NULL if absent.
///
/// Safety: `entity` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn uiza_live_entity_playback_hls(
    entity: *const UizaLiveEntity,
) -> *const c_char {
    unsafe { owned_str(entity, |e| e.playback_hls.as_ref()) }
}

/// The region, such as "in-bangalore-1", or NULL if absent.
///
/// Safety: `entity` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn uiza_live_entity_region(entity: *const UizaLiveEntity) -> *const c_char {
    unsafe { owned_str(entity, |e| e.region.as_ref()) }
}

/// The status, such as "ready", or NULL if absent.
///
/// Safety: `entity` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn uiza_live_entity_status(entity: *const UizaLiveEntity) -> *const c_char {
    unsafe { owned_str(entity, |e| e.status.as_ref()) }
}

/// The creation time as the API sent it (RFC 3339), or NULL if absent.
///
/// Safety: `entity` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn uiza_live_entity_created_at(
    entity: *const UizaLiveEntity,
) -> *const c_char {
    unsafe { owned_str(entity, |e| e.created_at.as_ref()) }
}

/// The last update time as the API sent it (RFC 3339), or NULL if absent.
///
/// Safety: `entity` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn uiza_live_entity_updated_at(
    entity: *const UizaLiveEntity,
) -> *const c_char {
    unsafe { owned_str(entity, |e| e.updated_at.as_ref()) }
}

/// Reads the `dvr` flag. Returns true and sets `*out` when the entity has
/// it; returns false (leaving `*out` alone) when the field is absent or an
/// argument is NULL.
///
/// Safety: `entity` is NULL or live; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn uiza_live_entity_dvr(
    entity: *const UizaLiveEntity,
    out: *mut bool,
) -> bool {
    unsafe { flag(entity, out, |e| e.dvr) }
}

/// Reads the `encode` flag, like `uiza_live_entity_dvr()`.
///
/// Safety: `entity` is NULL or live; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn uiza_live_entity_encode(
    entity: *const UizaLiveEntity,
    out: *mut bool,
) -> bool {
    unsafe { flag(entity, out, |e| e.encode) }
}

#[cfg(test)]
mod tests {
    use std::ffi::CStr;
    use std::ptr;

    use super::*;

    fn text<'a>(p: *const c_char) -> Option<&'a str> {
        (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_str().unwrap())
    }

    #[test]
    fn parse_read_and_free() {
        let json = cr#"{"id":"e1","ingest":{"key":"live_k","url":"rtmp://x"},"dvr":true}"#;
        let mut entity = ptr::null_mut();
        assert_eq!(
            unsafe { uiza_live_entity_parse(json.as_ptr(), &mut entity) },
            UizaStatus::Ok
        );
        unsafe {
            assert_eq!(text(uiza_live_entity_ingest_key(entity)), Some("live_k"));
            assert_eq!(text(uiza_live_entity_ingest_url(entity)), Some("rtmp://x"));
            assert_eq!(text(uiza_live_entity_id(entity)), Some("e1"));
            assert_eq!(text(uiza_live_entity_name(entity)), None);
            let mut flag = false;
            assert!(uiza_live_entity_dvr(entity, &mut flag) && flag);
            assert!(!uiza_live_entity_encode(entity, &mut flag));
            assert!(!uiza_live_entity_dvr(entity, ptr::null_mut()));
            uiza_live_entity_free(entity);
            uiza_live_entity_free(ptr::null_mut());
            assert!(uiza_live_entity_ingest_key(ptr::null()).is_null());
        }
    }

    #[test]
    fn refusals_leave_null() {
        for json in [c"", c"{}", cr#"{"ingest":{"key":1}}"#, c"\xff"] {
            let mut entity: *mut UizaLiveEntity = ptr::dangling_mut();
            let status = unsafe { uiza_live_entity_parse(json.as_ptr(), &mut entity) };
            assert_ne!(status, UizaStatus::Ok, "{json:?}");
            assert!(entity.is_null());
        }
        let mut entity: *mut UizaLiveEntity = ptr::dangling_mut();
        let status = unsafe { uiza_live_entity_parse(ptr::null(), &mut entity) };
        assert_eq!(status, UizaStatus::InvalidArgument);
        assert!(entity.is_null());
        let status = unsafe { uiza_live_entity_parse(c"{}".as_ptr(), ptr::null_mut()) };
        assert_eq!(status, UizaStatus::InvalidArgument);
    }
}
