//! Little-endian reading and writing with every length checked.

use half::f16;

use super::DictError;

/// Appends little-endian values.
#[derive(Default)]
pub(crate) struct Writer {
    pub out: Vec<u8>,
}

impl Writer {
    pub fn u8(&mut self, v: u8) {
        self.out.push(v);
    }
    pub fn u16(&mut self, v: u16) {
        self.out.extend_from_slice(&v.to_le_bytes());
    }
    pub fn u32(&mut self, v: u32) {
        self.out.extend_from_slice(&v.to_le_bytes());
    }
    pub fn f32(&mut self, v: f32) {
        self.out.extend_from_slice(&v.to_le_bytes());
    }
    pub fn f16(&mut self, v: f32) {
        self.out.extend_from_slice(&f16::from_f32(v).to_le_bytes());
    }
    /// Unsigned LEB128.
    pub fn varint(&mut self, mut v: u32) {
        loop {
            let byte = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                self.out.push(byte);
                return;
            }
            self.out.push(byte | 0x80);
        }
    }
    pub fn bytes(&mut self, b: &[u8]) {
        self.out.extend_from_slice(b);
    }
}

/// Reads little-endian values from a slice; running past the end is an error naming `what`.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, pos: 0 }
    }

    pub fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    pub fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], DictError> {
        if n > self.remaining() {
            return Err(DictError::Invalid(format!(
                "{what}: needs {n} bytes at offset {} but only {} remain",
                self.pos,
                self.remaining()
            )));
        }
        let s = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], DictError> {
        let s = self.take(N, what)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    pub fn u8(&mut self, what: &str) -> Result<u8, DictError> {
        Ok(self.array::<1>(what)?[0])
    }
    pub fn u16(&mut self, what: &str) -> Result<u16, DictError> {
        Ok(u16::from_le_bytes(self.array(what)?))
    }
    pub fn u32(&mut self, what: &str) -> Result<u32, DictError> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }
    /// An f32 that must be finite.
    pub fn f32(&mut self, what: &str) -> Result<f32, DictError> {
        finite(f32::from_le_bytes(self.array(what)?), what)
    }
    /// An f16 that must be finite, widened to f32.
    pub fn f16(&mut self, what: &str) -> Result<f32, DictError> {
        finite(f16::from_le_bytes(self.array(what)?).to_f32(), what)
    }
    /// Unsigned LEB128 of at most 5 bytes that fits in a u32, in its shortest form (so that
    /// every value has one encoding and what decodes re-encodes to the same bytes).
    pub fn varint(&mut self, what: &str) -> Result<u32, DictError> {
        let mut v: u64 = 0;
        for i in 0..5 {
            let b = self.u8(what)?;
            v |= u64::from(b & 0x7f) << (7 * i);
            if b == 0 && i > 0 {
                return Err(DictError::Invalid(format!(
                    "{what}: a variable-length integer ends in a redundant zero byte (it is \
                     not in its shortest form)"
                )));
            }
            if b & 0x80 == 0 {
                return u32::try_from(v).map_err(|_| {
                    DictError::Invalid(format!("{what}: {v} does not fit in 32 bits"))
                });
            }
        }
        Err(DictError::Invalid(format!(
            "{what}: a variable-length integer is longer than 5 bytes"
        )))
    }
}

pub(crate) fn finite(v: f32, what: &str) -> Result<f32, DictError> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(DictError::Invalid(format!("{what} is not finite ({v})")))
    }
}

/// The value `v` becomes once stored as f16 and read back.
pub(crate) fn round_f16(v: f32) -> f32 {
    f16::from_f32(v).to_f32()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_read_back_only_in_their_shortest_form() {
        for v in [0, 1, 127, 128, 300, 16_384, u32::MAX] {
            let mut w = Writer::default();
            w.varint(v);
            assert_eq!(Reader::new(&w.out).varint("bin").unwrap(), v);
        }
        // 0 and 1 written with a redundant continuation byte.
        for overlong in [&[0x80u8, 0x00][..], &[0x81, 0x80, 0x00]] {
            let err = Reader::new(overlong).varint("bin 3").unwrap_err();
            assert!(err.to_string().contains("bin 3: "), "{err}");
            assert!(err.to_string().contains("shortest form"), "{err}");
        }
    }
}
