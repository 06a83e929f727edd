//! Random sequences of async calls, cancels and frees, the way a UI thread
//! might interleave them. Whatever the order, every accepted call calls
//! back exactly once, a refused one never does, and freeing a client or a
//! token mid-flight is safe. No real network: calls go to a closed
//! loopback port with a short budget, or are cancelled first.
#![no_main]

use std::ffi::{c_char, c_void, CString};
use std::ptr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use uiza::ffi::async_calls::*;
use uiza::ffi::cancel::*;
use uiza::ffi::client::*;
use uiza::ffi::{UizaCancelToken, UizaClient};
use uiza::UizaStatus as S;

/// Callbacks received, per call.
struct Slot(AtomicU32);

unsafe extern "C" fn done(user_data: *mut c_void, status: S, json: *const c_char) {
    // SAFETY: `user_data` is an `Arc<Slot>` leaked for this one call.
    let slot = unsafe { Arc::from_raw(user_data as *const Slot) };
    assert!(!json.is_null());
    let text = unsafe { std::ffi::CStr::from_ptr(json) }.to_str().unwrap();
    assert!(status == S::Ok || text.contains("\"error_type\""), "{text}");
    slot.0.fetch_add(1, Ordering::SeqCst);
}

fuzz_target!(|data: &[u8]| {
    let mut clients: Vec<*mut UizaClient> = Vec::new();
    let mut tokens: Vec<*mut UizaCancelToken> = Vec::new();
    let mut slots: Vec<(Arc<Slot>, bool)> = Vec::new();
    let ids = [c"seed-1", c"a/b", c"", c"..", c"x~y"];
    for chunk in data.chunks(2).take(64) {
        let (op, arg) = (chunk[0], *chunk.get(1).unwrap_or(&0) as usize);
        let client = clients
            .get(arg % clients.len().max(1))
            .copied()
            .unwrap_or(ptr::null_mut());
        let token = tokens
            .get(arg % tokens.len().max(1))
            .copied()
            .unwrap_or(ptr::null_mut());
        match op % 8 {
            0 => unsafe {
                let c = uiza_client_new(c"uap-fuzz-key".as_ptr());
                assert_eq!(
                    uiza_client_set_base_url(c, c"http://127.0.0.1:9".as_ptr()),
                    S::Ok
                );
                assert_eq!(uiza_client_set_timeout_ms(c, 50), S::Ok);
                assert_eq!(uiza_client_set_max_retries(c, 0), S::Ok);
                clients.push(c);
            },
            1 => tokens.push(uiza_cancel_token_new()),
            2 => unsafe { uiza_cancel_token_cancel(token) },
            3 if !tokens.is_empty() => unsafe {
                uiza_cancel_token_free(tokens.swap_remove(arg % tokens.len()));
            },
            4 if !clients.is_empty() => unsafe {
                uiza_client_free(clients.swap_remove(arg % clients.len()));
            },
            _ => {
                let id = ids[arg % ids.len()];
                let slot = Arc::new(Slot(AtomicU32::new(0)));
                let user_data = Arc::into_raw(slot.clone()) as *mut c_void;
                let current = CString::new(format!("live_{arg}")).unwrap();
                let status = unsafe {
                    if op % 2 == 0 {
                        uiza_client_get_live_entity_async(
                            client,
                            id.as_ptr(),
                            token,
                            Some(done),
                            user_data,
                        )
                    } else {
                        let key = if arg % 3 == 0 {
                            ptr::null()
                        } else {
                            current.as_ptr()
                        };
                        uiza_client_rotate_stream_key_async(
                            client,
                            id.as_ptr(),
                            key,
                            token,
                            Some(done),
                            user_data,
                        )
                    }
                };
                let valid_id = !matches!(id.to_bytes(), b"" | b".." | b"a/b");
                assert_eq!(status == S::Ok, !client.is_null() && valid_id, "{status:?}");
                if status != S::Ok {
                    // Refused: the callback never runs, so its reference is ours.
                    drop(unsafe { Arc::from_raw(user_data as *const Slot) });
                }
                slots.push((slot, status == S::Ok));
            }
        }
    }
    for t in tokens {
        unsafe { uiza_cancel_token_free(t) };
    }
    for c in clients {
        unsafe { uiza_client_free(c) };
    }
    // Every accepted call ends within its 50 ms budget plus queueing.
    let until = Instant::now() + Duration::from_secs(30);
    for (slot, accepted) in &slots {
        let expected = u32::from(*accepted);
        while slot.0.load(Ordering::SeqCst) < expected && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(1));
        }
        assert_eq!(
            slot.0.load(Ordering::SeqCst),
            expected,
            "callbacks for one call"
        );
    }
    std::thread::sleep(Duration::from_millis(2));
    for (slot, accepted) in &slots {
        assert_eq!(
            slot.0.load(Ordering::SeqCst),
            u32::from(*accepted),
            "a late second callback"
        );
    }
});
