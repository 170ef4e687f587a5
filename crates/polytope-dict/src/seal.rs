//! Checksummed resumable files: the model checkpoints, the SAE states and the token caches are
//! each a payload (the step's own format) inside a small envelope that records its kind, length
//! and checksum, so that a damaged or truncated file is refused with its path instead of being
//! read as garbage or silently replaced by a restart from step 0.
//!
//! ```text
//! offset  size  field
//! 0       8     magic "POLYSEAL"
//! 8       4     version (u32 LE): 1
//! 12      8     kind: the payload's own magic ("POLYCKPT", "POLYSAE1", "POLYTOKS")
//! 20      8     payload length in bytes (u64 LE)
//! 28      8     FNV-1a 64 of the payload (u64 LE; polytope_core::dict::fnv1a64)
//! 36      ...   payload
//! ```
//!
//! FNV-1a detects truncation and any single changed byte (each byte's step is invertible), which
//! is what a crash, a full disk or a bad copy produce; it is not meant to resist tampering.
//! Files written before this envelope existed (the bare payload) are accepted by the step once
//! and rewritten sealed ([`Opened::legacy`]).

use std::path::Path;

use polytope_core::dict::fnv1a64;

use crate::Error;

pub const MAGIC: &[u8; 8] = b"POLYSEAL";
pub const VERSION: u32 = 1;
pub const HEADER_LEN: usize = 36;

/// `payload` sealed as `kind`.
pub fn seal(kind: &[u8; 8], payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&fnv1a64(payload).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// A file's bytes with its payload located.
pub struct Opened {
    bytes: Vec<u8>,
    start: usize,
    /// Written before checksums: the whole file is the payload, unchecked.
    pub legacy: bool,
}

impl Opened {
    pub fn payload(&self) -> &[u8] {
        &self.bytes[self.start..]
    }
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(b)
}

/// Checks the envelope of `bytes` (read from `path`) and locates the payload of `kind`. A file
/// without the envelope is a legacy file ([`Opened::legacy`]; the caller parses the payload with
/// its own checks). `fix` says what the user can do about a damaged file.
pub fn open(path: &Path, kind: &[u8; 8], bytes: Vec<u8>, fix: &str) -> Result<Opened, Error> {
    let damaged = |reason: String| Error::Damaged {
        path: path.to_path_buf(),
        reason,
        fix: fix.to_owned(),
    };
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        return Ok(Opened {
            bytes,
            start: 0,
            legacy: true,
        });
    }
    if bytes.len() < HEADER_LEN {
        return Err(damaged(format!(
            "truncated: {} bytes, shorter than the {HEADER_LEN}-byte header",
            bytes.len()
        )));
    }
    let version = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
    if version != VERSION {
        return Err(damaged(format!(
            "envelope version {version}; this build reads version {VERSION}"
        )));
    }
    if &bytes[12..20] != kind {
        return Err(damaged(format!(
            "it holds a {:?} payload, expected {:?}",
            String::from_utf8_lossy(&bytes[12..20]),
            String::from_utf8_lossy(kind)
        )));
    }
    let len = u64_at(&bytes, 20);
    let actual = (bytes.len() - HEADER_LEN) as u64;
    if len != actual {
        return Err(damaged(format!(
            "truncated or extended: the payload is {actual} bytes, the header says {len}"
        )));
    }
    let sum = fnv1a64(&bytes[HEADER_LEN..]);
    if sum != u64_at(&bytes, 28) {
        return Err(damaged(format!(
            "checksum mismatch: {sum:016x}, the header says {:016x}",
            u64_at(&bytes, 28)
        )));
    }
    Ok(Opened {
        bytes,
        start: HEADER_LEN,
        legacy: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open_bytes(bytes: Vec<u8>) -> Result<Opened, Error> {
        open(Path::new("x/state.bin"), b"POLYTEST", bytes, "delete it")
    }

    #[test]
    fn a_sealed_payload_opens_and_every_damage_is_named() {
        let payload: Vec<u8> = (0..1000u32).map(|i| (i * 7) as u8).collect();
        let sealed = seal(b"POLYTEST", &payload);
        let opened = open_bytes(sealed.clone()).expect("intact");
        assert!(!opened.legacy);
        assert_eq!(opened.payload(), &payload[..]);

        for (bytes, needle) in [
            (sealed[..sealed.len() - 1].to_vec(), "truncated"),
            (sealed[..20].to_vec(), "truncated"),
            (
                {
                    let mut b = sealed.clone();
                    b[HEADER_LEN + 500] ^= 1;
                    b
                },
                "checksum mismatch",
            ),
            (seal(b"POLYELSE", &payload), "expected \"POLYTEST\""),
        ] {
            let e = open_bytes(bytes).err().expect("refused").to_string();
            assert!(e.contains("x/state.bin") && e.contains(needle), "{e}");
            assert!(e.contains("delete it"), "{e}");
        }
    }

    #[test]
    fn a_file_without_the_envelope_is_legacy() {
        let opened = open_bytes(b"POLYTESTold payload".to_vec()).expect("legacy");
        assert!(opened.legacy);
        assert_eq!(opened.payload(), b"POLYTESTold payload");
    }
}
