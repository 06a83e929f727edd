//! Every log line the library produces in a test process, at TRACE, and
//! the proof that none of them holds a secret in any form.
//!
//! [`log_capture`] installs one sink for the whole process the first time
//! it is called and never replaces it, so the tests of one binary cannot
//! disturb each other: each scans everything captured so far. Lines go to
//! a file, not the heap, because `tests/stress.rs` counts every heap byte
//! the process holds; the stream keys a test learns go to a second file.
//!
//! [`LogCapture::assert_clean`] fails on a line that holds the API key or
//! a recorded stream key raw, percent-encoded, JSON-escaped or
//! base64-encoded (at any alignment, standard or URL-safe alphabet), on
//! `Authorization`, and, whether recorded or not, on any key the sandbox
//! could have issued (`live_` plus 32 hex digits): a `live_` not written
//! `live_…` (other than the API path's `live_entities`), or 32 hex digits
//! in a row.

use std::collections::HashMap;
use std::ffi::{c_char, c_void, CStr};
use std::fs::File;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use uiza::ffi::logging::{uiza_set_log_callback, UizaLogLevel};

use super::c_build::profile_dir;
use super::SECRETS;

pub struct LogCapture {
    lines: Mutex<File>,
    lines_path: PathBuf,
    keys: Mutex<File>,
    keys_path: PathBuf,
}

extern "C" fn append(user_data: *mut c_void, _level: UizaLogLevel, message: *const c_char) {
    // SAFETY: `user_data` is the `&'static LogCapture` installed below, and
    // the library passes a NUL-terminated line valid during the call.
    let (capture, line) = unsafe { (&*(user_data as *const LogCapture), CStr::from_ptr(message)) };
    let mut file = capture.lines.lock().unwrap_or_else(|e| e.into_inner());
    file.write_all(line.to_bytes()).unwrap();
    file.write_all(b"\n").unwrap();
}

/// The process's capture, installed at TRACE on first use.
pub fn log_capture() -> &'static LogCapture {
    static CAPTURE: OnceLock<LogCapture> = OnceLock::new();
    CAPTURE.get_or_init(|| {
        let dir = profile_dir().join("log-capture");
        std::fs::create_dir_all(&dir).unwrap();
        let exe = std::env::current_exe().unwrap();
        let stem = format!(
            "{}-{}",
            exe.file_stem().unwrap().to_string_lossy(),
            std::process::id()
        );
        let lines_path = dir.join(format!("{stem}.log"));
        let keys_path = dir.join(format!("{stem}.keys"));
        LogCapture {
            lines: Mutex::new(File::create(&lines_path).unwrap()),
            lines_path,
            keys: Mutex::new(File::create(&keys_path).unwrap()),
            keys_path,
        }
    });
    let capture = CAPTURE.get().unwrap();
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let user_data = capture as *const LogCapture as *mut c_void;
        // SAFETY: `append` may be called from any thread with a `user_data`
        // that lives as long as the process.
        unsafe {
            uiza_set_log_callback(Some(append), user_data, UizaLogLevel::UizaLogTrace as i32)
        };
    });
    capture
}

impl LogCapture {
    /// Remembers a stream key the test saw (in a response, or on the
    /// sandbox), so that the scan looks for it in every form.
    pub fn record_key(&self, key: &str) {
        if key.is_empty() {
            return;
        }
        let mut file = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        file.write_all(key.as_bytes()).unwrap();
        file.write_all(b"\n").unwrap();
    }

    /// Every line captured so far, after checking that `line` is one of
    /// them, word for word.
    pub fn assert_logged(&self, line: &str) -> Vec<String> {
        let lines = self.lines();
        assert!(lines.iter().any(|l| l == line), "no {line:?} in {lines:#?}");
        lines
    }

    /// Every line captured so far.
    pub fn lines(&self) -> Vec<String> {
        let _hold = self.lines.lock().unwrap_or_else(|e| e.into_inner());
        let text = std::fs::read_to_string(&self.lines_path).unwrap();
        text.lines().map(str::to_owned).collect()
    }

    /// Fails if any line captured so far holds a secret (see the module
    /// documentation); returns how many lines were scanned. `min_lines`
    /// guards against a capture that silently saw nothing.
    pub fn assert_clean(&self, min_lines: usize) -> usize {
        let lines = self.lines();
        let keys = {
            let _hold = self.keys.lock().unwrap_or_else(|e| e.into_inner());
            std::fs::read_to_string(&self.keys_path).unwrap()
        };
        let mut secrets: Vec<&str> = SECRETS.to_vec();
        secrets.extend(keys.lines());
        let scanner = SecretScanner::new(&secrets);
        scanner.self_test(SECRETS[0]);
        scanner.self_test(secrets.last().unwrap());
        for line in &lines {
            scanner.assert_clean("a log line", line);
        }
        assert!(
            lines.len() >= min_lines,
            "only {} log lines captured (at least {min_lines} expected)",
            lines.len()
        );
        eprintln!(
            "log scan: {} lines, {} secrets in {} forms, all clean",
            lines.len(),
            secrets.len(),
            scanner.forms
        );
        lines.len()
    }
}

/// Looks for many secrets in every form at once: each form indexed by its
/// first [`PREFIX`] bytes, one lookup per position of the text.
pub struct SecretScanner {
    by_prefix: HashMap<[u8; PREFIX], Vec<(String, usize)>>,
    forms: usize,
}

const PREFIX: usize = 8;

impl SecretScanner {
    pub fn new(secrets: &[&str]) -> SecretScanner {
        let mut by_prefix: HashMap<[u8; PREFIX], Vec<(String, usize)>> = HashMap::new();
        let mut forms = 0;
        for (i, secret) in secrets.iter().enumerate() {
            for form in secret_forms(secret) {
                let prefix: [u8; PREFIX] = form.as_bytes()[..PREFIX].try_into().unwrap();
                let entry = by_prefix.entry(prefix).or_default();
                if !entry.iter().any(|(f, _)| *f == form) {
                    entry.push((form, i));
                    forms += 1;
                }
            }
        }
        SecretScanner { by_prefix, forms }
    }

    /// Panics, naming the form but not the secret, if `text` holds one.
    pub fn assert_clean(&self, what: &str, text: &str) {
        if let Some(problem) = self.find(text) {
            panic!("{what} {problem}: {}", self.redact(text));
        }
    }

    /// `text` with every form of every secret, and every run of 8 or more
    /// hex digits, replaced: fit for a failure message.
    fn redact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for (form, secret) in self.by_prefix.values().flatten() {
            out = out.replace(form.as_str(), &format!("<secret #{secret}>"));
        }
        redact_keys(&out)
    }

    /// What is wrong with `text`, if anything.
    pub fn find(&self, text: &str) -> Option<String> {
        if text.to_ascii_lowercase().contains("authorization") {
            return Some("mentions Authorization".into());
        }
        for (at, _) in text.match_indices("live_") {
            let rest = &text[at + "live_".len()..];
            if !(rest.starts_with('…') || rest.starts_with("entities/")) {
                return Some("shows a stream key".into());
            }
        }
        let mut hex_run = 0;
        for b in text.bytes() {
            hex_run = if b.is_ascii_hexdigit() {
                hex_run + 1
            } else {
                0
            };
            if hex_run >= 32 {
                return Some("holds 32 hex digits in a row, a sandbox stream key".into());
            }
        }
        let bytes = text.as_bytes();
        for start in 0..bytes.len().saturating_sub(PREFIX - 1) {
            let prefix: [u8; PREFIX] = bytes[start..start + PREFIX].try_into().unwrap();
            for (form, secret) in self.by_prefix.get(&prefix).into_iter().flatten() {
                if bytes[start..].starts_with(form.as_bytes()) {
                    return Some(format!(
                        "holds secret #{secret} (a form {} long) at byte {start}",
                        form.len()
                    ));
                }
            }
        }
        None
    }

    /// Proves the scan finds what it looks for: every form of `secret`
    /// (one the scanner was built with) inside other text, and its base64
    /// inside a longer encoded text at each alignment.
    fn self_test(&self, secret: &str) {
        for form in secret_forms(secret) {
            let text = format!("x {form} y");
            assert!(self.find(&text).is_some(), "the scan misses {form:?}");
        }
        for lead in ["", "a", "ab"] {
            let mut text = format!("{lead}{secret}z").into_bytes();
            text.resize(text.len().div_ceil(3) * 3, b'z');
            for url_safe in [false, true] {
                let encoded = base64(&text, url_safe);
                assert!(self.find(&encoded).is_some(), "the scan misses {encoded}");
            }
        }
    }
}

/// `text` with every run of 8 or more hex digits replaced, for messages.
fn redact_keys(text: &str) -> String {
    let mut out = String::new();
    let mut run = String::new();
    for c in text.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_hexdigit() {
            run.push(c);
            continue;
        }
        if run.len() >= 8 {
            out.push_str("<hex>");
        } else {
            out.push_str(&run);
        }
        run.clear();
        out.push(c);
    }
    out.pop();
    out
}

/// The forms a secret could be written in: raw; percent-encoded (reserved
/// bytes only, and every byte, in either case); JSON-escaped (as a JSON
/// encoder writes it, and every character as `\u00XX`); base64 in the
/// standard and URL-safe alphabets, at each of the three alignments it
/// could have inside a longer encoded text (the characters that depend on
/// the secret's bytes alone).
pub fn secret_forms(secret: &str) -> Vec<String> {
    assert!(secret.len() >= 16, "secrets are long enough to scan for");
    let bytes = secret.as_bytes();
    let mut forms = vec![secret.to_owned()];
    let percent = |all: bool, upper: bool| -> String {
        bytes
            .iter()
            .map(|&b| {
                if !all && (b.is_ascii_alphanumeric() || b"-._~".contains(&b)) {
                    (b as char).to_string()
                } else if upper {
                    format!("%{b:02X}")
                } else {
                    format!("%{b:02x}")
                }
            })
            .collect()
    };
    forms.push(percent(false, true));
    forms.push(percent(true, true));
    forms.push(percent(true, false));
    let json = serde_json::to_string(secret).unwrap();
    forms.push(json[1..json.len() - 1].to_owned());
    forms.push(bytes.iter().map(|b| format!("\\u{:04x}", b)).collect());
    forms.push(bytes.iter().map(|b| format!("\\u{:04X}", b)).collect());
    for url_safe in [false, true] {
        for skip in 0..3 {
            let whole = &bytes[skip..];
            forms.push(base64(&whole[..whole.len() / 3 * 3], url_safe));
        }
    }
    forms
}

/// Base64 of `bytes` (a multiple of 3 long, so no padding).
pub fn base64(bytes: &[u8], url_safe: bool) -> String {
    let alphabet: &[u8; 64] = if url_safe {
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    } else {
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    };
    bytes
        .chunks(3)
        .flat_map(|c| {
            let n = u32::from(c[0]) << 16 | u32::from(c[1]) << 8 | u32::from(c[2]);
            (0..4).map(move |i| alphabet[(n >> (18 - 6 * i) & 63) as usize] as char)
        })
        .collect()
}
